"""Open an engine from one configuration string: embedded model, a GGUF path, a server URL, or scripted."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Engine, EngineError

EMBEDDED = ("", "embedded", "default")  # specs that name the packaged model
# options of the engines that talk to servers; an in-process engine ignores them, so one configuration
# (the kernel's [engine] table) serves any spec
NETWORK_OPTS = ("timeout", "connect_timeout", "retry_s")


def open_engine(spec: str = "", **opts: Any) -> Engine:
    """The engine named by ``spec`` (not started; ``await engine.start()`` next).

    - ``""`` or ``"embedded"``: llama.cpp with the packaged SmolLM2-135M-Instruct
    - a path to a ``.gguf`` file (``~`` expanded): llama.cpp with that model
    - ``http://…`` or ``https://…``: an OpenAI-compatible server (``/v1`` appended when the URL has no path)
    - ``http://a:8000,http://b:8000``: replicas of one model on several such servers (drivers/llm/replicas.py;
      option ``retry_s``, and ``n_slots``/``n_ctx`` per replica)
    - ``"scripted"``: the scripted test engine
    - ``"embedded:q8_0"`` or ``"PATH.gguf:q8_0"`` (or ``:f16``): that model converted once to the format
      and cached (drivers/llm/weights.py)

    ``opts`` go to the engine's constructor (``n_slots``, ``n_ctx``, ``api_key``, ``model``, ...).
    """
    kind, s, weights = parse_spec(spec)
    if weights is not None:
        opts = {**opts, "weights": weights}
    if kind not in ("http", "replicas"):
        opts = {k: v for k, v in opts.items() if k not in NETWORK_OPTS}
    if kind == "embedded":
        from .llama_engine import LlamaEngine
        return LlamaEngine(None, **opts)
    if kind == "scripted":
        from .scripted import ScriptedEngine
        return ScriptedEngine(**opts)
    if kind == "http":
        from .openai import OpenAIEngine
        return OpenAIEngine(s, **{k: v for k, v in opts.items() if k != "retry_s"})
    if kind == "replicas":
        from .replicas import ReplicaEngine, split_addresses
        return ReplicaEngine(split_addresses(s), **opts)
    path = Path(s).expanduser()
    if not path.is_file():
        raise EngineError(f"model file not found: {path}", code="unavailable")
    from .llama_engine import LlamaEngine
    return LlamaEngine(str(path), **opts)


def parse_spec(spec: str) -> tuple[str, str, str | None]:
    """(kind, target, weight format) of an engine spec, kind one of ``embedded``, ``gguf``, ``http``,
    ``replicas``, ``scripted``; ``EngineError`` (invalid) for anything else.  Touches no file or server."""
    if "," in spec and "://" in spec:
        from .replicas import split_addresses
        return "replicas", ",".join(split_addresses(spec)), None
    s, weights = split_spec(spec.strip())
    if s in EMBEDDED:
        return "embedded", s, weights
    if s == "scripted":
        return "scripted", s, weights
    if s.startswith(("http://", "https://")):
        return "http", s, weights
    if Path(s).expanduser().suffix.lower() == ".gguf":
        return "gguf", s, weights
    raise EngineError(f"unknown engine spec {spec!r}: use '', 'embedded', a .gguf path, an http(s) URL, "
                      "http(s) URLs separated by commas (replicas) or 'scripted' (the first two may end in "
                      "':q8_0' or ':f16')", code="invalid")


def split_spec(spec: str) -> tuple[str, str | None]:
    """``"embedded:q8_0"`` -> ``("embedded", "q8_0")``; a spec without a format suffix is returned whole.
    Only the embedded model and .gguf files take a format; a bad one is an error, not a file name."""
    from .weights import FORMATS
    base, sep, fmt = spec.rpartition(":")
    if not sep or spec.startswith(("http://", "https://")) or "/" in fmt:
        return spec, None
    if not (base in EMBEDDED or base.lower().endswith(".gguf")):
        if fmt.lower() in FORMATS:
            raise EngineError(f"a weight format (':{fmt}') applies to the embedded model or a .gguf file, "
                              f"not to {base!r}", code="invalid")
        return spec, None
    if fmt.lower() not in FORMATS:
        raise EngineError(f"unknown weight format {fmt!r} in model {spec!r}: use one of {', '.join(FORMATS)}",
                          code="invalid")
    return base, fmt.lower()
