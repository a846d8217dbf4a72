"""``llmos new NAME``: a new app folder that runs as it is and comes with a test."""
from __future__ import annotations

import re
from pathlib import Path

from .manifest import NAME_RE, load_manifest

APP_TOML = '''name = "{name}"
version = "0.1.0"
description = "A new llmos app: answers its task in one sentence and keeps a copy in its workspace."
author = ""
entry = "main:run"
isolation = "kernel"
priority = 20

[permissions]
syscalls = ["llm.chat", "fs.write", "fs.read"]
files = ["*.txt"]

[budgets]
tokens = 4000
steps = 4
syscalls = 20
wall_seconds = 120
'''

MAIN_PY = '''"""{name}: an llmos app.  It reaches the kernel only through the ``syscalls`` SDK."""
from __future__ import annotations

from syscalls import Sys

SYSTEM = "You are a helpful assistant. Answer in one short sentence."


async def run(sys: Sys, task: str) -> str:
    reply = await sys.llm.chat([{{"role": "system", "content": SYSTEM}},
                               {{"role": "user", "content": task or "Say hello."}}], max_tokens=96)
    answer = reply.text.strip()
    await sys.fs.write("answer.txt", answer + "\\n")
    return answer
'''

# The scaffolded app's own test (a kernel on the scripted model), a str.format template.
TEST_PY = (Path(__file__).resolve().parent / "scaffold_test.txt").read_text(encoding="utf-8")


class ScaffoldError(Exception):
    pass


def scaffold(name: str, parent: str | Path = ".") -> Path:
    """Write ``parent/name/`` with ``app.toml``, ``main.py`` and ``test_app.py``; return the folder."""
    if not re.match(NAME_RE, name):
        raise ScaffoldError(f"{name!r} is not a valid app name: lower-case letters, digits, '-' and '_', "
                            "starting with a letter, at most 40 characters")
    folder = Path(parent) / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists")
    folder.mkdir(parents=True)
    ident = name.replace("-", "_")
    (folder / "app.toml").write_text(APP_TOML.format(name=name), encoding="utf-8")
    (folder / "main.py").write_text(MAIN_PY.format(name=name), encoding="utf-8")
    (folder / "test_app.py").write_text(TEST_PY.format(name=name, ident=ident), encoding="utf-8")
    load_manifest(folder)  # what we wrote must be valid
    return folder
