"""Make docs/images/shell.svg and docs/images/top.svg from a real daemon running the scripted model."""
from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMAGES = ROOT / "docs" / "images"
SCRIPT = {"token_delay": 0.08,
          "rules": [{"when": "slow", "reply": json.dumps({"tool": "answer", "answer": "done " * 150})},
                    {"when": "17 * 23", "reply": '{"tool": "answer", "answer": "17 * 23 = 391"}'}],
          "default": '{"tool": "answer", "answer": "Noted: {task}"}'}
SESSION = ["help", "run assistant what is 17 * 23?", "run assistant slow: summarise the design doc &",
           "run assistant slow: draft the release notes &", "jobs", "ps", "kill %2", "remember that I like tea",
           "approvals", "frobnicate"]


def llmos(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "llmos", *args], env=env, capture_output=True, text=True,
                          cwd=str(ROOT), timeout=120, check=False).stdout


async def shell_svg(home: Path) -> str:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from llmos.shell import Shell
    out = io.StringIO()
    with create_pipe_input() as keys:  # no terminal: a foreground job's view draws nowhere, its output goes to out
        sh = Shell(home, out=out, session=PromptSession(input=keys, output=DummyOutput()))
        return await _session(sh, out)


async def _session(sh, out: io.StringIO) -> str:
    from rich.console import Console
    from rich.text import Text

    await sh.ensure_kernel()
    console = Console(record=True, width=110, file=io.StringIO())
    for line in SESSION:
        console.print(Text("llmos> ", style="bold green") + Text(line))
        out.seek(0)
        out.truncate()
        await sh.execute(line)
        await asyncio.sleep(0.3)
        console.print(Text(out.getvalue().rstrip("\n")))
    await sh.client.aclose()
    return console.export_svg(title="llmos shell")


async def top_svg(env: dict, home: Path) -> str:
    from llmos.client import Client
    from llmos.top import TopApp
    from llmos.top.source import LiveSource
    async with Client(home) as c:
        for task in ("slow: crawl the changelog", "slow: plan a trip", "slow: answer mail", "slow: index notes",
                     "slow: compare prices", "slow: write tests"):
            await c.spawn("assistant", task)
        await asyncio.sleep(3)
        ps = await c.ps()
        await c.kill(ps[-1].pid, "STOP")
        await c.kill(ps[-2].pid, "KILL")  # an ended process stays, greyed out, with its EXIT
    app = TopApp(LiveSource(home), interval=0.5)
    async with app.run_test(size=(160, 28)) as pilot:
        await asyncio.sleep(2)
        while app.sort != "TOKENS":  # sorted by tokens: the arrow marks the column
            await pilot.press("greater_than_sign")
        await asyncio.sleep(1)
        await pilot.press("down", "enter")
        await asyncio.sleep(1.5)
        return app.export_screenshot(title="llmos top")


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="llmos-shots-"))
    (home / "script.json").write_text(json.dumps(SCRIPT))
    env = {**os.environ, "LLMOS_HOME": str(home), "LLMOS_MODEL": "scripted",
           "LLMOS_SCRIPT": str(home / "script.json"), "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    IMAGES.mkdir(parents=True, exist_ok=True)
    print(llmos(env, "boot").strip())
    try:
        (IMAGES / "shell.svg").write_text(asyncio.run(shell_svg(home)))
        time.sleep(0.5)
        (IMAGES / "top.svg").write_text(asyncio.run(top_svg(env, home)))
    finally:
        print(llmos(env, "halt").strip())
    print(f"wrote {IMAGES / 'shell.svg'} and {IMAGES / 'top.svg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
