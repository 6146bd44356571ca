"""Only its own files for a student's process: a Landlock rule set the sandboxed student process puts on itself.

Self-contained like ``netguard.py`` (standard library only, no kit imports, private names
prefixed ``_fsguard_``): its text is placed in the student process's source, and
``install_file_filter`` runs in the child before the student's module is imported.

Landlock (Linux 5.13+, unprivileged, allowed in Docker's default seccomp profile since
Docker 23) turns file access into an allow-list: the process reads only the system
directories, the Python it runs (prefix and packages), the data directory and its own
import root, and writes only its scratch directory, a few device files (``/dev/null``, ...)
and the temporary directories that are its own (``enter.py``); the shared ``/tmp``,
``/var/tmp`` and ``/dev/shm``, and terminals, it can neither read nor write. Of ``/proc`` it
sees its own process and the machine-wide figures, never other processes' command lines.
Everything else — the kit's hidden tests and solutions, other submissions, results files —
cannot be opened whatever its permissions say. Where the kernel's Landlock ABI allows it, the same rule set also denies
TCP bind/connect (ABI 4) and scopes signals and abstract Unix sockets to the process's
own descendants (ABI 6): it cannot signal the grader's processes even under the same uid.

Where Landlock is missing, ``install_file_filter`` returns the reason and file isolation
rests on permissions and users (``users.py``).
"""

import ctypes
import os
import struct
import sys

_fsguard_CREATE_RULESET, _fsguard_ADD_RULE, _fsguard_RESTRICT_SELF = 444, 445, 446   # same on x86_64 and aarch64
_fsguard_CREATE_RULESET_VERSION = 1
_fsguard_RULE_PATH_BENEATH = 1
_fsguard_PR_SET_NO_NEW_PRIVS = 38
_fsguard_O_PATH = getattr(os, "O_PATH", 0o10000000)

_fsguard_EXECUTE, _fsguard_WRITE_FILE, _fsguard_READ_FILE, _fsguard_READ_DIR = 1, 2, 4, 8
_fsguard_TRUNCATE, _fsguard_IOCTL_DEV = 1 << 14, 1 << 15
_fsguard_READ = _fsguard_EXECUTE | _fsguard_READ_FILE | _fsguard_READ_DIR
_fsguard_FILE_ONLY = _fsguard_EXECUTE | _fsguard_WRITE_FILE | _fsguard_READ_FILE | _fsguard_TRUNCATE | _fsguard_IOCTL_DEV
_fsguard_NET_ALL = 1 | 2               # LANDLOCK_ACCESS_NET_BIND_TCP | CONNECT_TCP
_fsguard_SCOPE_ALL = 1 | 2             # LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | SIGNAL

SYSTEM_READABLE = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/sys")
# Of /proc, the process's own directory and the machine-wide figures libraries read: not the other
# processes' command lines (another grading's paths), environments or open files.
PROC_READABLE = ("/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/proc/sys",
                 "/proc/filesystems", "/proc/mounts", "/proc/version", "/proc/uptime")


def _fsguard_handled_fs(abi):
    handled = (1 << 13) - 1            # ABI 1: execute … make_sym
    if abi >= 2:
        handled |= 1 << 13             # refer
    if abi >= 3:
        handled |= _fsguard_TRUNCATE
    if abi >= 5:
        handled |= _fsguard_IOCTL_DEV
    return handled


def landlock_abi():
    """The kernel's Landlock ABI version (0 when Landlock is unavailable)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(ctypes.c_long(_fsguard_CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(_fsguard_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def install_file_filter(readable, writable):
    """Allow only reading ``readable`` and reading/writing ``writable`` (paths; missing ones are skipped).

    Returns None once the rule set is in force for this process and its future children, else why not.
    """
    abi = landlock_abi()
    if abi < 1:
        return "Landlock is not available in this kernel"
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    handled = _fsguard_handled_fs(abi)
    if abi >= 6:
        attr = struct.pack("QQQ", handled, _fsguard_NET_ALL, _fsguard_SCOPE_ALL)
    elif abi >= 4:
        attr = struct.pack("QQ", handled, _fsguard_NET_ALL)
    else:
        attr = struct.pack("Q", handled)
    buffer = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(ctypes.c_long(_fsguard_CREATE_RULESET), buffer, ctypes.c_size_t(len(attr)),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        return f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
    try:
        rules = [(p, _fsguard_READ) for p in readable] + [(p, handled) for p in writable]
        for path, access in rules:
            problem = _fsguard_add_rule(libc, ruleset, path, access & handled)
            if problem:
                return problem
        if libc.prctl(_fsguard_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
        if libc.syscall(ctypes.c_long(_fsguard_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    return None


def _fsguard_add_rule(libc, ruleset, path, access):
    try:
        fd = os.open(path, _fsguard_O_PATH | os.O_CLOEXEC)
    except OSError:
        return None                    # a path that does not exist here needs no rule
    try:
        import stat as _fsguard_stat

        if not _fsguard_stat.S_ISDIR(os.fstat(fd).st_mode):
            access &= _fsguard_FILE_ONLY
        beneath = ctypes.create_string_buffer(struct.pack("=Qi", access, fd), 12)
        if libc.syscall(ctypes.c_long(_fsguard_ADD_RULE), ctypes.c_int(ruleset),
                        ctypes.c_int(_fsguard_RULE_PATH_BENEATH), beneath, ctypes.c_uint32(0)) != 0:
            return f"landlock_add_rule({path}) failed: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(fd)
    return None


def python_paths():
    """The directories this interpreter reads: its prefixes and every ``sys.path`` entry (real paths)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(sys.executable)}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    out = set()
    for path in paths:
        out.add(path)
        out.add(os.path.realpath(path))
    return sorted(out)


# What a student process reads of /dev (never the whole folder: /dev/pts holds other users' terminals),
# and the device files it may write.
DEVICES = ("/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/full")


def student_file_filter(root, scratch, data_dir=None, private_temp=()):
    """The student process's rule set: read the system, Python, the data and ``root``; write ``scratch``.

    ``private_temp``: the temporary directories that are the process's own (``enter.py``'s tmpfs
    mounts): it reads and writes them. The shared ones (``/tmp``, ``/dev/shm``, ...) it can
    neither read nor write, nor can it open a terminal (``/dev/pts``, ``/dev/tty``).

    ``/proc/self`` is the student process's own process directory when the rules are made: processes the
    student's code starts see the machine-wide files of /proc but not their own directory.

    Returns None when in force, else why not (the caller reports it: file isolation then rests on users).
    """
    readable = list(SYSTEM_READABLE) + list(PROC_READABLE) + python_paths() + [root, os.path.realpath(root)]
    if data_dir:
        readable += [data_dir, os.path.realpath(data_dir)]
    writable = [scratch, os.path.realpath(scratch), *DEVICES, *private_temp]
    return install_file_filter(readable, writable)
