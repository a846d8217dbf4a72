"""The CLI says what a person would otherwise not see: flags a running kernel ignores, a task cut to fit the
context, no kernel for top; and ``ps`` serves scripts (``-q``, ``--format json``) and shows how processes ended."""
from __future__ import annotations

import json
import re

import pytest

from kernel import KernelConfig


@pytest.fixture
def booted(home):
    assert home.llmos("boot").returncode == 0
    return home


def test_ps_quiet_json_and_the_exit_column(booted):
    h = booted
    first = h.llmos("run", "assistant", "hello").returncode
    pid = int(h.llmos("run", "--detach", "assistant", "slow one").stdout)
    assert first == 0
    assert h.llmos("kill", "-KILL", str(pid)).returncode == 0
    h.llmos("wait", str(pid))
    assert h.llmos("ps", "-q", "-a").stdout.split() == ["1", str(pid)]
    rows = json.loads(h.llmos("ps", "-a", "--format", "json").stdout)
    assert [r["pid"] for r in rows] == [1, pid] and rows[1]["exit_reason"] == "killed"
    assert rows[1]["exit_status"] == 137 and rows[1]["ended"] >= rows[1]["started"]
    def steady(rs):  # the token rate is over a sliding window: it moves between two calls
        return [{k: v for k, v in r.items() if k != "tokens_per_second"} for r in rs]
    assert steady(json.loads(h.llmos("ps", "-a", "--json").stdout)) == steady(rows)  # --json is the same
    table = h.llmos("ps", "-a").stdout.splitlines()
    assert table[0].split()[-2:] == ["EXIT", "TASK"]
    assert re.search(rf"^\s*{pid}\s.*killed \(137\) \d+ s ago\s+slow one$", "\n".join(table), re.M), table
    assert re.search(r"^\s*1\s.*exited \(0\) \d+ s ago\s+hello$", "\n".join(table), re.M), table


def test_flags_a_running_kernel_ignores_are_named(booted):
    r = booted.llmos("run", "--slots", "2", "--policy", "fifo", "assistant", "hi")
    assert r.returncode == 0 and r.stdout.strip() == 'you said: hi'
    note = [x for x in r.stderr.splitlines() if "note:" in x]
    assert len(note) == 1
    assert f"keeps its slots 4, policy {KernelConfig().policy}" in note[0] and "--slots, --policy are ignored" in note[0]
    assert "`llmos halt`, then `llmos boot --slots 2 --policy fifo`" in note[0]
    quiet = booted.llmos("run", "--slots", "4", "assistant", "hi")  # what it already has: nothing to say
    assert "note:" not in quiet.stderr
    r = booted.llmos("boot", "--model", "/models/other.gguf")
    assert r.returncode == 1 and "--model is ignored" in r.stderr


def test_a_task_cut_to_fit_the_context_is_noticed(home):
    (home.path / "script.json").write_text(json.dumps({"default": '{"tool": "answer", "answer": "read it"}'}))
    booted = home
    assert home.llmos("boot").returncode == 0
    task = " ".join(f"word{i}" for i in range(3000))  # far more than a process's share of the context
    r = booted.llmos("run", "assistant", task, timeout=300)
    assert r.returncode == 0, r.stderr
    notes = [x for x in r.stderr.splitlines() if "did not fit its context" in x]
    assert len(notes) == 1, r.stderr
    m = re.search(r"input of (\d+) tokens did not fit its context of (\d+) tokens: the model saw only the "
                  r"first (\d+) tokens; the full text is paged out as memory m-", notes[0])
    assert m and int(m[1]) > int(m[2]) > int(m[3]) > 0, notes[0]
    short = booted.llmos("run", "assistant", "a short task")
    assert "did not fit" not in short.stderr


def test_top_without_a_kernel_is_one_line(home):
    r = home.llmos("top", timeout=30)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"llmos: no kernel is running at {home.path}; `llmos boot` starts one (or `llmos shell`)"
    assert r.stdout == ""  # no full-screen app drawn
