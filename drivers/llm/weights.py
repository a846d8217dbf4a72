"""Re-quantize a GGUF model once into a cached copy in another weight format (``embedded:q8_0``)."""
from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import os
from pathlib import Path

from .base import EngineError
from .llama_native import lib

# format -> llama.cpp ftype name. Q8_0 is near-lossless for a Q4_1 source (its step is about a
# tenth of Q4_1's) and on x86 CPUs batches better: llama.cpp has a tiled GEMM for Q8_0, none for
# Q4_1 (docs/performance.md, "Weight formats"). F16 holds a Q4_1 source exactly.
FORMATS = {"q8_0": "LLAMA_FTYPE_MOSTLY_Q8_0", "f16": "LLAMA_FTYPE_MOSTLY_F16"}
CACHE_VAR = "LLMOS_MODEL_CACHE"


def cache_dir() -> Path:
    """Where converted models are kept: ``$LLMOS_MODEL_CACHE`` or ``~/.cache/llmos/models``."""
    return Path(os.environ.get(CACHE_VAR, "").strip() or Path.home() / ".cache" / "llmos" / "models")


def converted_path(src: str, fmt: str, cache: Path | None = None) -> Path:
    """The cache file for ``src`` in ``fmt``: named by the source's path, size and mtime, so a changed
    source gets a fresh conversion."""
    st = Path(src).stat()
    key = hashlib.sha256(f"{Path(src).resolve()}|{st.st_size}|{st.st_mtime_ns}|{fmt}".encode()).hexdigest()[:16]
    return (cache or cache_dir()) / f"{Path(src).stem}.{key}.{fmt}.gguf"


def requantized(src: str, fmt: str, *, cache: Path | None = None) -> str:
    """Path of ``src`` converted to ``fmt``, converting it first if the cache lacks it (a few seconds
    for the embedded model). Safe against concurrent callers and against a conversion cut short:
    the file appears only when complete. Blocking; run it in a worker thread."""
    if fmt not in FORMATS:
        raise EngineError(f"unknown weight format {fmt!r}: use one of {', '.join(FORMATS)}", code="invalid")
    if not Path(src).is_file():
        raise EngineError(f"model file not found: {src}", code="unavailable")
    out = converted_path(src, fmt, cache)
    if out.is_file():
        return str(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out.parent / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one conversion at a time; the others then find it done
            if not out.is_file():
                _convert(src, out, fmt)
    except OSError as exc:
        raise EngineError(f"cannot write the {fmt} copy of {src} under {out.parent}: {exc}",
                          code="unavailable") from None
    return str(out)


def _convert(src: str, out: Path, fmt: str) -> None:
    C = lib()
    params = C.llama_model_quantize_default_params()
    params.ftype = getattr(C, FORMATS[fmt])
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 1
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        rc = C.llama_model_quantize(src.encode(), str(tmp).encode(), ctypes.byref(params))
        if rc != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            raise EngineError(f"llama.cpp could not convert {src} to {fmt} (code {rc})", code="unavailable")
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
