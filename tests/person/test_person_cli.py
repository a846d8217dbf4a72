"""The person at the CLI: ``llmos run`` says at once what waits for them, ``llmos attach`` answers it,
and every ended process says why in one line (and in --json); a broken app is refused at install."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pexpect
import pytest

from tests.daemon.harness import ROOT
from tests.person.apps import install, write


@pytest.fixture
def daemon(home, tmp_path):
    install(home, tmp_path / "apps", "asker", "deleter", "broken")
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    return home


def test_run_without_a_terminal_says_at_once_what_waits_and_how_to_answer(daemon):
    run = subprocess.Popen([sys.executable, "-m", "llmos", "run", "deleter", "a.txt"], env=daemon.env,
                           cwd=str(ROOT), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        t0 = time.monotonic()
        line = run.stderr.readline()  # not after the approval's 300 s: at once
        assert time.monotonic() - t0 < 20
        m = re.search(r"waiting for you: \[(\w+)\] pid \d+ wants fs\.delete\(path=a\.txt\).*`llmos approve \1`", line)
        assert m, line
        r = daemon.llmos("approve", m.group(1))
        assert r.returncode == 0, r.stderr
        out, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert out.strip() == "a.txt:deleted" and run.returncode == 0


def test_attach_answers_a_detached_process_question_and_run_asks_inline(daemon):
    pid = daemon.llmos("run", "--detach", "asker", "confirm").stdout.strip()
    listed = daemon.llmos("approvals").stdout
    assert re.search(rf"question \w+: pid {pid} \(asker\) asks: Pay \$120 for SK123\?", listed), listed  # it waits there meanwhile
    child = pexpect.spawn(sys.executable, ["-m", "llmos", "attach", pid], env=daemon.env, cwd=str(ROOT),
                          encoding="utf-8", timeout=30, dimensions=(30, 160))
    child.expect(rf"pid {pid} asks: Pay \$120 for SK123\?")
    child.expect(r"confirm\? \[y/n/d\]")
    child.sendline("y")
    child.expect("approved")
    child.expect("yes")
    child.expect(r"time: \d+\.\d+s")
    child.expect(pexpect.EOF)
    run = pexpect.spawn(sys.executable, ["-m", "llmos", "run", "deleter", "a.txt"], env=daemon.env, cwd=str(ROOT),
                        encoding="utf-8", timeout=30, dimensions=(30, 160))
    run.expect(r"wants fs\.delete")
    run.expect(r"path = a\.txt")  # `llmos run` on a terminal asks inline, the same way
    run.expect(r"approve\? \[y/n/d\]")
    run.sendline("y")
    run.expect("a.txt:deleted")
    run.expect(r"time: \d+\.\d+s")
    run.expect(pexpect.EOF)


def test_answer_answers_a_question_from_another_terminal(daemon):
    pid = daemon.llmos("run", "--detach", "asker", "ask").stdout.strip()
    deadline = time.monotonic() + 20
    while not (m := re.search(rf"question (\w+): pid {pid} ", daemon.llmos("approvals").stdout)):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert daemon.llmos("answer", m.group(1), "Ada", "Lovelace").returncode == 0
    assert daemon.llmos("wait", pid).stdout.strip() == "name=Ada Lovelace"


def test_a_failed_run_says_why_in_one_line_and_in_json(daemon):
    r = daemon.llmos("run", "broken", "go")
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1, r.stderr
    assert re.fullmatch(r"llmos: \[\d+\] error \(status 1\): not_found: the flight SK123 is sold out and no other flight "
                        r"goes that day", lines[0]), lines[0]
    record = json.loads(daemon.llmos("run", "--json", "broken", "go").stdout)
    assert record["exit_reason"] == "error" and "sold out" in record["error"]


def test_an_in_process_run_says_why_in_one_line_too(home, tmp_path):
    install(home, tmp_path / "apps", "broken")
    r = home.llmos("run", "broken", "go")  # no daemon: the kernel runs inside the command
    assert r.returncode == 1
    assert re.search(r"^llmos: \[\d+\] error \(status 1\): not_found: the flight SK123 is sold out", r.stderr, re.M), r.stderr


def test_an_app_that_cannot_import_is_refused_at_install(home, tmp_path):
    bad = write(tmp_path / "apps", "typo", code="async def run(sys, task)\n    return task\n", syscalls=["llm.*"])
    r = home.llmos("install", str(bad))
    assert r.returncode == 1
    assert r.stderr.strip() == "llmos: install failed: the app's code does not import: main.py, line 1: " \
                               "expected ':'", r.stderr
    wrong = write(tmp_path / "apps", "noentry", code="async def main(sys, task):\n    return task\n",
                  syscalls=["llm.*"])
    r = home.llmos("install", str(wrong))
    assert "names no function 'run' in main.py" in r.stderr and r.returncode == 1
    assert "typo" not in home.llmos("apps").stdout  # nothing half-installed
