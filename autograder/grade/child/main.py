"""The sandboxed child's main loop: imports the student's module and runs the calls the judge sends.

Never imported: ``child/source.py`` pastes it after the limits, the guards and ``codec.py``, and
``judge/student_process.py`` runs that text as ``python -I -c TEXT``, so the child needs nothing
from the kit (which is not on its path). Protocol, over two pipes (never stdout): the child sends
``{"started": true, "temp": [its private temporary directories]}``, then ``{"ready": ...}``
once the module is imported (or why not), then answers each
``{"op": "call", ...}`` with ``{"ok": true, "result": ..., "writeback": ...}`` or
``{"ok": false, "kind": ..., ...}``.
"""

# (codec.py's and memory_hooks.py's definitions are above this line in the child)

import importlib.util  # noqa: E402
import traceback  # noqa: E402

MODULE_FILE = None


def _read_exact(fd, n):
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_message(fd):
    head_len, blob_len = HEADER.unpack(_read_exact(fd, HEADER.size))
    return split_message(_read_exact(fd, head_len), _read_exact(fd, blob_len))


def _rebuild_model(config, weights, compile_config):
    import keras

    model = keras.models.model_from_json(config)
    if weights:
        model.set_weights(weights)
    if compile_config:
        model.compile_from_config(compile_config)
    return model


def _student_frames(tb):
    frames = [f for f in traceback.extract_tb(tb) if MODULE_FILE and os.path.abspath(f.filename) == MODULE_FILE]
    return frames


def _describe(exc):
    frames = _student_frames(exc.__traceback__)
    where = [f"line {f.lineno}, in {f.name}: {(f.line or '').strip()[:120]}" for f in frames[-3:]]
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = "<unprintable message>"
    blocked = network_block_note(exc)   # netguard.py's, placed before this file in the child
    if blocked:
        message = f"{message[:700]} — {blocked}"
    return {"type": type(exc).__name__, "message": message[:1000], "where": where,
            "function": frames[-1].name if frames else None}


def _failure(exc):
    info = _describe(exc)
    if isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, MemoryError):
        kind = "memory"
    elif isinstance(exc, (SystemExit, KeyboardInterrupt, GeneratorExit)):
        kind = "exit"
    else:
        kind = "exception"
    return {"ok": False, "kind": kind, **info}


def _import_student(root, module_name):
    global MODULE_FILE
    path = os.path.join(root, module_name + ".py")
    MODULE_FILE = os.path.abspath(path)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _lean_keras_import(path):
    """Import Keras before a module that uses it, without its optional packages; the student's own
    imports of those packages still work afterwards (the hook is gone by then)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            if "keras" not in handle.read():
                return
    except OSError:
        return
    try:
        import_keras_lean()
    except Exception:  # noqa: BLE001 - then the student's own import says what is wrong
        pass


def _keras_seed(seed):
    if seed is None:
        return
    import keras

    keras.utils.set_random_seed(int(seed))


def _call(module, header, blobs):
    decoder = Decoder(blobs, rebuild_model=_rebuild_model)
    args = list(decoder.decode(header["args"]))
    kwargs = decoder.decode(header["kwargs"])
    name = header["function"]
    function = getattr(module, name)
    _keras_seed(header.get("keras_seed"))
    if header.get("np_random") is not None:
        np.random.set_state(tuple(decoder.decode(header["np_random"])))
    targets = args + list(kwargs.values())
    before = []
    for value in targets:
        enc = Encoder()
        before.append(digest(enc.encode(value, top=True), enc.blobs))
    result = function(*args, **kwargs)
    refs = {id(v): i for i, v in enumerate(targets)}
    out = Encoder(refs)
    try:
        tree = out.encode(result)
    except CodecError as exc:  # the result, not the arguments: the judge says it could not read it
        return {"ok": False, "kind": "unsendable", "type": "CodecError", "message": str(exc)[:300]}, []
    writeback = []
    for i, value in enumerate(targets):
        probe = Encoder()
        encoded = probe.encode(value, top=True)
        if isinstance(value, np.random.Generator) or _is_keras_model(value) or \
                digest(encoded, probe.blobs) != before[i]:
            writeback.append([i, out.state_of(value)])
    state = np.random.get_state()
    return {"ok": True, "result": tree, "writeback": writeback,
            "np_random": out.encode(tuple(state))}, out.blobs


def _flush_output():
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - the student may have replaced or closed them
        pass


def main():
    rfd, wfd, root, module_name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sys.path.insert(0, root)
    sys.argv = [module_name + ".py"]
    write_message(wfd, {"started": True, "temp": DL3_TEMP_DIRS}, [])   # enter.py's private directories
    try:
        _lean_keras_import(os.path.join(root, module_name + ".py"))
        module = _import_student(root, module_name)
    except BaseException as exc:  # noqa: BLE001 - the student's import, anything may happen
        info = _failure(exc)
        if isinstance(exc, SyntaxError):
            info["where"] = [f"line {exc.lineno}: {(exc.text or '').strip()[:120]}"]
        _flush_output()   # what the module printed before it failed is part of the message
        write_message(wfd, {"ready": False, **info}, [])
        os._exit(0)
    names = sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n, None)))
    write_message(wfd, {"ready": True, "functions": names}, [])
    while True:
        try:
            header, blobs = _read_message(rfd)
        except EOFError:
            os._exit(0)
        try:
            reply, out_blobs = _call(module, header, blobs)
        except BaseException as exc:  # noqa: BLE001
            reply, out_blobs = _failure(exc), []
            if isinstance(exc, CodecError):
                reply["kind"] = "codec"
        _flush_output()
        try:
            write_message(wfd, reply, out_blobs)
        except Exception as exc:  # noqa: BLE001 - the header could not be encoded: nothing was written yet
            write_message(wfd, {"ok": False, "kind": "unsendable", "type": type(exc).__name__,
                                "message": str(exc)[:300]}, [])
        big = sum(len(b) for b in out_blobs) > (4 << 20)
        del reply, out_blobs
        if big:
            release_memory()   # after a large answer: in a small box the judge needs the memory next


main()
