"""End to end on the real embedded model: the daemon runs the assistant and the CLI sees it finish."""
from __future__ import annotations

import json

import pytest

from .harness import Home


@pytest.mark.real_model
def test_assistant_on_the_embedded_model_through_the_daemon_and_over_tcp():
    """One daemon on the real model serves the local socket and the TCP listener (one model load for both)."""
    import shutil

    from .test_remote import Far
    home = Home(model="")  # "" is the packaged SmolLM2 through llama.cpp
    far = None
    try:
        boot = home.llmos("boot", "--listen", "127.0.0.1:0", timeout=300)
        assert boot.returncode == 0, boot.stderr + (home.path / "logs" / "daemon.out").read_text()
        pid = home.llmos("run", "--detach", "--max-tokens", "6000", "assistant", "What is 2 + 3?").stdout.strip()
        assert pid.isdigit()
        home.llmos("wait", pid, "--timeout", "400", timeout=420)
        ps = json.loads(home.llmos("ps", "--json").stdout)
        proc = next(p for p in ps if str(p["pid"]) == pid)
        assert proc["state"] in ("EXITED", "KILLED") and proc["tokens_out"] > 0
        logs = home.llmos("logs", pid).stdout
        assert "llm.response" in logs and "proc.exit" in logs
        far = Far((home.path / "kernel.listen").read_text().split()[0], home.path / "kernel.token")
        pid = far.llmos("run", "--detach", "--max-tokens", "3000", "assistant", "What is 4 + 4?").stdout.strip()
        assert pid.isdigit()
        far.llmos("wait", pid, "--timeout", "300", timeout=320)
        proc = next(p for p in json.loads(far.llmos("ps", "--json").stdout) if str(p["pid"]) == pid)
        assert proc["state"] in ("EXITED", "KILLED") and proc["tokens_out"] > 0, proc
        assert "llm.response" in far.llmos("logs", pid).stdout
    finally:
        home.teardown()
        if far is not None:
            shutil.rmtree(far.path, ignore_errors=True)
