"""``llmos eval`` against a running kernel daemon: items run there, and a slow one is killed and
counted as a system failure, not a wrong answer."""
from __future__ import annotations

import json


def test_eval_runs_on_the_daemon_and_times_out_apart(booted, tmp_path):
    suite = tmp_path / "d.jsonl"
    items = [{"id": "echo", "category": "c", "task": "hello there", "expect": "hello there", "checker": "contains"},
             {"id": "wrong", "category": "c", "task": "bye", "expect": "hello", "checker": "contains"},
             {"id": "slow", "category": "c", "task": "slow please", "expect": "end", "checker": "contains"}]
    suite.write_text("".join(json.dumps(i) + "\n" for i in items))
    r = booted.llmos("eval", "assistant", str(suite), "--timeout", "2", "--out", str(tmp_path / "out"), timeout=120)
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "out" / "report.json").read_text())
    assert rep["backend"] == "kernel daemon"
    by = {i["id"]: i for i in rep["items"]}
    assert by["echo"]["passed"] and by["echo"]["tokens_in"] > 0
    assert (by["wrong"]["failure"], by["wrong"]["system"]) == ("wrong", False)
    assert (by["slow"]["failure"], by["slow"]["system"]) == ("timeout", True) and by["slow"]["wall_seconds"] >= 2
    assert rep["system_failures"] == 1 and rep["wrong_answers"] == 1
    assert booted.llmos("eval", "assistant", str(suite), "--model", "scripted").returncode == 2  # not with a daemon
    ps = json.loads(booted.llmos("ps", "--json").stdout)
    assert not [p for p in ps if p["state"] not in ("EXITED", "KILLED")]  # the slow one was killed, nothing left
