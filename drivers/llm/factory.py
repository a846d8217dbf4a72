"""Open an engine from one configuration string: embedded model, a GGUF path, a server URL, or scripted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Engine, EngineError


def open_engine(spec: str = "", **opts: Any) -> Engine:
    """The engine named by ``spec`` (not started; ``await engine.start()`` next).

    - ``""`` or ``"embedded"``: llama.cpp with the packaged SmolLM2-135M-Instruct
    - a path to a ``.gguf`` file (``~`` expanded): llama.cpp with that model
    - ``http://…`` or ``https://…``: an OpenAI-compatible server (``/v1`` appended when the URL has no path)
    - ``"scripted"``: the scripted test engine
    - ``"embedded:q8_0"`` or ``"PATH.gguf:q8_0"`` (or ``:f16``): that model converted once to the format
      and cached (drivers/llm/weights.py)

    ``opts`` go to the engine's constructor (``n_slots``, ``n_ctx``, ``api_key``, ``model``, ...).
    """
    from .weights import split_spec
    s, weights = split_spec(spec.strip())
    if weights is not None:
        opts = {**opts, "weights": weights}
    if s in ("", "embedded", "default"):
        from .llama_engine import LlamaEngine
        return LlamaEngine(None, **opts)
    if s == "scripted":
        from .scripted import ScriptedEngine
        return ScriptedEngine(**opts)
    if s.startswith(("http://", "https://")):
        from .openai import OpenAIEngine
        return OpenAIEngine(s, **opts)
    path = Path(s).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise EngineError(f"model file not found: {path}", code="unavailable")
        from .llama_engine import LlamaEngine
        return LlamaEngine(str(path), **opts)
    raise EngineError(f"unknown engine spec {spec!r}: use '', 'embedded', a .gguf path, an http(s) URL "
                      "or 'scripted' (the first two may end in ':q8_0' or ':f16')", code="invalid")
