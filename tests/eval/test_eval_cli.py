"""``llmos eval`` from the command line on the scripted model: a report, a comparison, one-line errors."""
from __future__ import annotations

import json

import pytest

from llmos.cli import main

ITEMS = [{"id": f"q{n}", "category": "sums" if n % 2 else "words", "task": f"question {n}", "expect": n,
          "checker": "number"} for n in range(6)]


@pytest.fixture
def scripted(tmp_path, monkeypatch):
    """A home whose kernel boots no subsystems, and a script that answers question n with n (but 3 with 0)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "llmos.toml").write_text("[kernel]\nsubsystems = []\n")
    monkeypatch.setenv("LLMOS_HOME", str(home))
    script = tmp_path / "script.json"
    rules = [{"when": f"question {n}", "reply": json.dumps({"tool": "answer", "answer": str(0 if n == 3 else n)})}
             for n in range(6)]
    script.write_text(json.dumps({"rules": rules}))
    monkeypatch.setenv("LLMOS_SCRIPT", str(script))
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps(i) + "\n" for i in ITEMS))
    return suite


def test_eval_writes_a_report_and_compares_with_an_earlier_one(scripted, tmp_path, capsys):
    assert main(["eval", "assistant", str(scripted), "--model", "scripted", "--out", str(tmp_path / "r1")]) == 0
    first = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert (first["overall"]["passed"], first["overall"]["total"]) == (5, 6)
    assert first["failures"]["model"] == {"wrong": 1} and first["system_failures"] == 0
    assert first["app"] == "assistant" and "in-process kernel" in first["backend"]
    out = capsys.readouterr().out
    assert "assistant on suite (all): 83% (5/6" in out and "report.md" in out

    assert main(["eval", "assistant", str(scripted), "--model", "scripted", "--split", "dev",
                 "--out", str(tmp_path / "r2"), "--compare", str(tmp_path / "r1" / "report.json")]) == 0
    second = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert second["overall"]["total"] == 4  # two dev items from each category of three
    assert second["compare"]["overall"]["test"] == "two_proportion_z"  # not the same items: unpaired
    assert "against" in (tmp_path / "r2" / "report.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["nosuch-suite"], "no suite named 'nosuch-suite'"),
    (["SUITE", "--compare", "missing.json"], "missing.json: cannot read"),
])
def test_bad_input_is_one_line_and_no_run(scripted, tmp_path, capsys, args, message):
    args = [str(scripted) if a == "SUITE" else a for a in args]
    assert main(["eval", "assistant", *args, "--model", "scripted", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_an_unknown_app_is_refused_before_any_run(scripted, tmp_path, capsys):
    assert main(["eval", "no-such-app", str(scripted), "--model", "scripted", "--out", str(tmp_path / "r")]) == 2
    assert "no app named 'no-such-app'" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_wrap_sends_each_task_inside_a_template(scripted, tmp_path, capsys):
    suite = tmp_path / "echo.jsonl"
    suite.write_text(json.dumps({"id": "e", "category": "c", "task": "hello", "expect": "wrapped:", "checker": "contains"}) + "\n")
    assert main(["eval", "assistant", str(suite), "--model", "scripted", "--out", str(tmp_path / "w"),
                 "--wrap", "wrapped: {task}"]) == 0
    report = json.loads((tmp_path / "w" / "report.json").read_text())
    assert report["overall"]["passed"] == 1 and report["wrap"] == "wrapped: {task}"
    assert report["items"][0]["answer"] == 'you said: wrapped: "hello"'  # the scripted model echoes its task
    assert main(["eval", "assistant", str(suite), "--model", "scripted", "--out", str(tmp_path / "n")]) == 0
    assert json.loads((tmp_path / "n" / "report.json").read_text())["overall"]["passed"] == 0
    assert main(["eval", "assistant", str(suite), "--wrap", "no placeholder"]) == 2
    assert "--wrap needs {task}" in capsys.readouterr().err


def test_an_interrupted_run_reports_what_finished(scripted, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path
    script = json.loads(Path(os.environ["LLMOS_SCRIPT"]).read_text())
    script["token_delay"] = 0.05
    script["rules"].insert(0, {"when": "slow", "reply": json.dumps({"tool": "answer", "answer": "slow " * 600})})
    Path(os.environ["LLMOS_SCRIPT"]).write_text(json.dumps(script))
    suite = tmp_path / "slow.jsonl"
    suite.write_text("".join(json.dumps(i) + "\n" for i in ITEMS[:2])
                     + json.dumps({"id": "s", "category": "c", "task": "slow one", "expect": 1, "checker": "number"}) + "\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "llmos", "eval", "assistant", str(suite), "--model", "scripted",
                             "--concurrency", "3", "--out", str(tmp_path / "p")], cwd=root, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log = Path(os.environ["LLMOS_HOME"]) / "logs" / "kernel.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not log.exists() or log.read_text().count('"proc.exit"') < 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    rep = json.loads((tmp_path / "p" / "report.json").read_text())
    assert rep["partial"] and rep["planned"] == 3 and {i["id"] for i in rep["items"]} == {"q0", "q1"}
    assert "partial report of 2 of 3 runs" in err and "Traceback" not in err
    assert "**partial**: interrupted after 2 of 3 runs" in (tmp_path / "p" / "report.md").read_text()
