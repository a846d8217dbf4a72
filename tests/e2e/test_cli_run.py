"""End to end: the ``llmos`` program runs the assistant on the real model and prints the answer."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import model_available, require

pytestmark = pytest.mark.real_model
ROOT = Path(__file__).resolve().parents[2]


def _llmos(*args, home):
    env = {**os.environ, "LLMOS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "llmos", *args], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)


def _trace(home) -> str:
    log = Path(home) / "logs" / "kernel.jsonl"
    return log.read_text()[-6000:] if log.exists() else "(no log)"


def test_assistant_uses_the_calculator(tmp_path):
    require(model_available(), "the embedded model")
    out = _llmos("run", "assistant", "What is 17 * 23? Use the calculator.", home=tmp_path)
    assert out.returncode == 0, f"stderr: {out.stderr}\nagent trace:\n{_trace(tmp_path)}"
    assert "391" in out.stdout, f"answer: {out.stdout!r}\nagent trace:\n{_trace(tmp_path)}"
    assert "in-process kernel" in out.stderr  # no daemon: it says so


def test_json_record(tmp_path):
    require(model_available(), "the embedded model")
    out = _llmos("run", "assistant", "--json", "What is 12 + 30? Use the calculator.", home=tmp_path)
    rec = json.loads(out.stdout)
    assert set(rec) >= {"pid", "state", "result", "tokens", "syscalls", "exit_reason"}
    assert rec["state"] in ("EXITED", "KILLED") and rec["pid"] >= 1
    assert rec["tokens"]["input"] > 0 and rec["syscalls"] >= 2
    assert rec["exit_reason"] == "exited", _trace(tmp_path)


def test_bad_arguments_are_one_clear_line(tmp_path):
    out = _llmos("run", "assistant", "x", "--max-tokens", "-5", home=tmp_path)
    assert out.returncode == 2 and "positive" in out.stderr and "Traceback" not in out.stderr
    out = _llmos("run", "no-such-app", "x", "--model", "scripted", home=tmp_path)
    assert out.returncode == 1 and "no app named" in out.stderr and "Traceback" not in out.stderr
