"""A scripted engine loaded from a JSON file (``LLMOS_SCRIPT``): a test facility for exact runs of the daemon.

The file holds ``{"token_delay": 0.05, "rules": [{"when": "slow", "reply": "..."}], "default": "..."}``.
The first rule whose ``when`` occurs in the task (the first user message) gives the reply; otherwise
``default``.  ``{task}`` in a reply is replaced by the task (JSON-escaped).  Without a file, the
scripted model answers every task with an echo of it.  ``{"engine": "module:function", "args": {...}}``
instead builds the engine with that function (a test's own scripted model, e.g. the travel oracle).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ECHO = '{"tool": "answer", "answer": "you said: {task}"}'


def _task(engine: Any, req: Any) -> str:
    """The last user turn of the request (the task, on an agent's first step)."""
    for msg in reversed(getattr(req, "messages", None) or []):
        role = msg.get("role") if isinstance(msg, dict) else getattr(msg, "role", "")
        if role == "user":
            return (msg.get("content") if isinstance(msg, dict) else getattr(msg, "content", "")) or ""
    text = engine.detokenize(list(req.prompt or []))
    turn = text.rsplit("<|user|>", 1)[-1] if "<|user|>" in text else ""
    return turn.split("<|", 1)[0].strip()


def scripted_engine(path: str | None = None, **opts: Any) -> Any:
    """A ``ScriptedEngine`` whose replies follow the rules in ``path`` (or ``$LLMOS_SCRIPT``)."""
    from drivers.llm.scripted import ScriptedEngine

    path = path or os.environ.get("LLMOS_SCRIPT") or ""
    spec: dict[str, Any] = json.loads(Path(path).read_text()) if path else {}
    if spec.get("engine"):
        import importlib
        module, func = spec["engine"].split(":")
        return getattr(importlib.import_module(module), func)(**spec.get("args", {}))
    rules = [(r["when"], r["reply"]) for r in spec.get("rules", [])]
    default = spec.get("default", ECHO)

    def reply(req: Any) -> str:
        task = _task(engine, req)
        text = next((r for w, r in rules if w in task), default)
        return text.replace("{task}", json.dumps(task)[1:-1])

    engine = ScriptedEngine(default=reply, token_delay=float(spec.get("token_delay", 0.0)), **opts)
    return engine
