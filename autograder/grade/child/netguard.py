"""No network (nor System V IPC) for a student's process: a seccomp filter the student process puts on itself.

Self-contained on purpose (standard library only, no kit imports, every private name
prefixed ``_netguard_``): the student process runs from source text, and this file's text is
placed in that source before the student process's own code, so ``install_network_filter()`` runs
in the child before the student's module is imported.

The filter (classic BPF over ``struct seccomp_data``):

- a syscall of any architecture other than the interpreter's own (x86_64 or aarch64)
  kills the process — so the i386 ``int 0x80`` entry (and its ``socketcall``) cannot
  get around the checks below; on x86_64, x32-ABI syscall numbers (bit 30) kill it too;
- ``socket()`` of any address family but ``AF_UNIX`` fails with ``EACCES`` (Python raises
  ``PermissionError``): no IPv4/IPv6, no raw packets, no netlink; local pipes and Unix
  sockets (Python's and TensorFlow's own plumbing) still work;
- ``io_uring_setup`` fails with ``EPERM`` (io_uring can open sockets without ``socket()``);
- System V IPC (shared memory, semaphores, message queues) and POSIX message queues fail
  with ``EPERM``: they are shared by every process of the machine's IPC namespace, so two
  students, or two modules of one submission, could talk through them; nothing the
  exercises use needs them (``multiprocessing`` and ``joblib`` use ``/dev/shm``).

It needs no privilege: ``PR_SET_NO_NEW_PRIVS`` then ``seccomp(SECCOMP_SET_MODE_FILTER)``,
which an unprivileged process may do, also inside Docker's default profile. Once set, a
filter cannot be removed, and every child of the process inherits it.
"""

import ctypes
import errno
import os
import platform
import struct

NETWORK_BLOCKED = ("the network is blocked during grading: your code may not open internet connections "
                   "(nor download anything); use only the data the exercise gives you")

_netguard_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
# (socket, io_uring_setup, seccomp) syscall numbers of each architecture.
_netguard_SYSCALLS = {"x86_64": (41, 425, 317), "aarch64": (198, 425, 277)}
# System V IPC and POSIX message queue syscalls of each architecture, as (first, last) ranges.
_netguard_IPC_SYSCALLS = {"x86_64": ((29, 31), (64, 71), (220, 220), (240, 245)), "aarch64": ((180, 197),)}
_netguard_X32_BIT = 0x40000000
_netguard_AF_UNIX = 1

# BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_netguard_LD_W_ABS = 0x20      # BPF_LD | BPF_W | BPF_ABS
_netguard_JEQ_K = 0x15         # BPF_JMP | BPF_JEQ | BPF_K
_netguard_JGE_K = 0x35         # BPF_JMP | BPF_JGE | BPF_K
_netguard_JGT_K = 0x25         # BPF_JMP | BPF_JGT | BPF_K
_netguard_RET_K = 0x06         # BPF_RET | BPF_K
_netguard_RET_KILL_PROCESS = 0x80000000
_netguard_RET_ERRNO = 0x00050000
_netguard_RET_ALLOW = 0x7FFF0000

_netguard_PR_SET_NO_NEW_PRIVS = 38
_netguard_PR_SET_SECCOMP = 22
_netguard_SECCOMP_MODE_FILTER = 2
_netguard_SECCOMP_SET_MODE_FILTER = 1
_netguard_SECCOMP_FILTER_FLAG_TSYNC = 1


def _netguard_machine():
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def network_filter_program(machine=None):
    """The filter as a list of ``(code, jt, jf, k)`` BPF instructions for ``machine`` (default: this one)."""
    machine = machine or _netguard_machine()
    if machine not in _netguard_AUDIT_ARCH:
        raise OSError(f"no network filter for the {machine} architecture (only x86_64 and aarch64)")
    socket_nr, io_uring_nr, _ = _netguard_SYSCALLS[machine]
    kill = (_netguard_RET_K, 0, 0, _netguard_RET_KILL_PROCESS)
    allow = (_netguard_RET_K, 0, 0, _netguard_RET_ALLOW)
    prog = [(_netguard_LD_W_ABS, 0, 0, 4),                                   # seccomp_data.arch
            (_netguard_JEQ_K, 1, 0, _netguard_AUDIT_ARCH[machine]),
            kill,                                                            # a foreign architecture
            (_netguard_LD_W_ABS, 0, 0, 0)]                                   # seccomp_data.nr
    if machine == "x86_64":
        prog += [(_netguard_JGE_K, 0, 1, _netguard_X32_BIT), kill]          # the x32 ABI
    refuse = (_netguard_RET_K, 0, 0, _netguard_RET_ERRNO | errno.EPERM)
    for first, last in _netguard_IPC_SYSCALLS[machine]:
        prog += [(_netguard_JGE_K, 0, 2, first), (_netguard_JGT_K, 1, 0, last), refuse]
    prog += [(_netguard_JEQ_K, 0, 1, io_uring_nr),
             refuse,
             (_netguard_JEQ_K, 1, 0, socket_nr),
             allow,
             (_netguard_LD_W_ABS, 0, 0, 16),                                 # args[0] (low half): the family
             (_netguard_JEQ_K, 0, 1, _netguard_AF_UNIX),
             allow,
             (_netguard_RET_K, 0, 0, _netguard_RET_ERRNO | errno.EACCES)]
    return prog


def install_network_filter():
    """Block internet sockets for this process and its children; None on success, else the reason it could not."""
    machine = _netguard_machine()
    try:
        prog = network_filter_program(machine)
    except OSError as exc:
        return str(exc)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        return f"the C library could not be loaded ({exc})"
    raw = b"".join(struct.pack("HBBI", *insn) for insn in prog)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Fprog(len(prog), ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_netguard_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
    seccomp_nr = _netguard_SYSCALLS[machine][2]
    libc.syscall.restype = ctypes.c_long
    done = libc.syscall(ctypes.c_long(seccomp_nr), ctypes.c_long(_netguard_SECCOMP_SET_MODE_FILTER),
                        ctypes.c_long(_netguard_SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(fprog))
    if done == 0:
        return None
    first = ctypes.get_errno()
    # Kernels before 3.17 have no seccomp() syscall: prctl(PR_SET_SECCOMP) does the same for this thread.
    if libc.prctl(_netguard_PR_SET_SECCOMP, _netguard_SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0:
        return None
    return (f"the kernel refused the seccomp filter ({os.strerror(first)}; "
            f"prctl: {os.strerror(ctypes.get_errno())}): seccomp is not available here")


def network_block_note(exc):
    """``NETWORK_BLOCKED`` when ``exc`` (or an exception it wraps) is the filter refusing a socket, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno == errno.EACCES:
            frames = []
            tb = exc.__traceback__
            while tb is not None:
                frames.append(tb.tb_frame.f_code.co_filename)
                tb = tb.tb_next
            if any(os.path.basename(f) == "socket.py" for f in frames) or "socket" in str(exc).lower():
                return NETWORK_BLOCKED
        exc = exc.__cause__ or exc.__context__
    return None
