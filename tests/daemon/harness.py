"""Test harness: a real kernel daemon on a real Unix socket in a temp llmos home, always torn down."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLOW = "slow " * 120  # with token_delay 0.05 this answer takes ~6 s to generate
SCRIPT = {"token_delay": 0.05,
          "rules": [{"when": "slow", "reply": json.dumps({"tool": "answer", "answer": SLOW + "end"})}],
          "default": '{"tool": "answer", "answer": "you said: {task}"}'}


class Home:
    """A temp llmos home with the scripted model; ``llmos(...)`` runs the real CLI in it."""

    def __init__(self, model: str = "scripted"):
        self.path = Path(tempfile.mkdtemp(prefix="llmos-t-"))
        (self.path / "script.json").write_text(json.dumps(SCRIPT))
        self.env = {**os.environ, "LLMOS_HOME": str(self.path), "LLMOS_MODEL": model,
                    "LLMOS_SCRIPT": str(self.path / "script.json"), "PYTHONPATH": str(ROOT),
                    "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm", "LLMOS_API_PORT": "0"}

    def llmos(self, *args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "llmos", *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=check, cwd=str(ROOT))

    @property
    def sock(self) -> Path:
        return self.path / "kernel.sock"

    def daemon_pid(self) -> int | None:
        try:
            return int((self.path / "kernel.pid").read_text())
        except (OSError, ValueError):
            return None

    def teardown(self) -> None:
        pid = self.daemon_pid()
        if pid:
            self.llmos("halt", timeout=60)
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
                wait_dead(pid)
        shutil.rmtree(self.path, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_dead(pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False
