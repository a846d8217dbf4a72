"""End to end on the real embedded model: the daemon runs the assistant and the CLI sees it finish."""
from __future__ import annotations

import json

import pytest

from .harness import Home


@pytest.mark.real_model
def test_assistant_on_the_embedded_model_through_the_daemon():
    home = Home(model="")  # "" is the packaged SmolLM2 through llama.cpp
    try:
        boot = home.llmos("boot", timeout=300)
        assert boot.returncode == 0, boot.stderr + (home.path / "logs" / "daemon.out").read_text()
        pid = home.llmos("run", "--detach", "--max-tokens", "6000", "assistant", "What is 2 + 3?").stdout.strip()
        assert pid.isdigit()
        home.llmos("wait", pid, "--timeout", "400", timeout=420)
        ps = json.loads(home.llmos("ps", "--json").stdout)
        proc = next(p for p in ps if str(p["pid"]) == pid)
        assert proc["state"] in ("EXITED", "KILLED") and proc["tokens_out"] > 0
        logs = home.llmos("logs", pid).stdout
        assert "llm.response" in logs and "proc.exit" in logs
    finally:
        home.teardown()
