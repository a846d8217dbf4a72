"""The small app ``llmos mcp serve`` runs for ``mem_search``, installed into the llmos home on first use."""
from __future__ import annotations

from pathlib import Path

from kernel.config import default_home

MEMSEARCH_APP = "mem-search"
APP_TOML = '''name = "mem-search"
version = "0.1.0"
description = "Searches long-term memory for an MCP host (llmos mcp serve); one mem.recall per run."
author = "llmos"
entry = "main:run"

[permissions]
syscalls = ["mem.recall"]
memory = ["user:*"]

[budgets]
syscalls = 4
wall_seconds = 60
'''
MAIN_PY = '''"""Runs one mem.recall from the JSON task {query, collection, k} and returns the memories."""
import json


async def run(sys, task):
    req = json.loads(task)
    found = await sys.mem.recall(req["query"], k=req.get("k", 5), collection=req.get("collection"))
    memories = getattr(found, "memories", found)
    return [{"text": m.text, "collection": m.collection, "score": float(m.score)} for m in memories]
'''


def install_memsearch(home: str | Path | None = None) -> Path:
    folder = Path(home or default_home()) / "apps" / MEMSEARCH_APP
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("app.toml", APP_TOML), ("main.py", MAIN_PY)):
        f = folder / name
        if not f.is_file() or f.read_text(encoding="utf-8") != text:
            f.write_text(text, encoding="utf-8")
    return folder
