"""A person at the real shell in a pty: the README's first session, a foreground job's approval answered
inline, questions of background jobs, the travel booking with the person confirming payment, and the
keys Ctrl-Z and Ctrl-D."""
from __future__ import annotations

import json
import re
import sys

import pexpect
import pytest

from tests.daemon.harness import ROOT
from tests.person.apps import install

from .conftest import PROMPT
from .test_shell_pty import command

README = {"rules": [{"when": "17 * 23", "reply": json.dumps({"tool": "answer", "answer": "391"})},
                    {"when": "haiku", "reply": json.dumps({"tool": "answer", "answer": "slow " * 200})},
                    {"when": "slow", "reply": json.dumps({"tool": "answer", "answer": "slow " * 200})}],
          "token_delay": 0.05, "default": '{"tool": "answer", "answer": "you said: {task}"}'}


def start(home, script: dict | None = None):
    if script is not None:
        (home.path / "script.json").write_text(json.dumps(script))
    child = pexpect.spawn(sys.executable, ["-m", "llmos", "shell"], env=home.env, cwd=str(ROOT),
                          encoding="utf-8", timeout=60, dimensions=(40, 160))
    child.expect("no kernel was running; booting one")
    child.expect(PROMPT)
    return child


@pytest.fixture
def person_shell(home, tmp_path):
    install(home, tmp_path / "apps", "asker", "deleter")
    child = start(home, README)
    child.home = home
    yield child
    if child.isalive():
        child.sendeof()
        child.sendeof()
        try:
            child.expect(pexpect.EOF, timeout=20)
        except pexpect.TIMEOUT:
            child.terminate(force=True)


def test_readme_first_session_then_ctrl_z_and_ctrl_d(person_shell):
    sh = person_shell
    command(sh, "run assistant What is 17 * 23? Use the calculator.", "391", r"time: \d+\.\d+s")
    sh.sendline("run assistant Write a haiku about kernels &")
    sh.expect(r"\[1\] (\d+)")
    pid = sh.match.group(1)
    sh.expect(PROMPT)
    command(sh, "ps", r"PID\s+PPID\s+APP", rf"{pid}\s+0\s+assistant")
    sh.sendcontrol("z")  # at the prompt: nothing to suspend, and no ^Z in the line
    command(sh, "jobs", rf"\[1\]\+ Running\s+{pid}")
    sh.sendeof()  # a job still runs: a warning, not an exit
    sh.expect("1 job\\(s\\) still running")
    sh.expect(PROMPT)
    command(sh, f"kill {pid}", r"\[1\]  (Terminated|Killed)")
    command(sh, "What time is it?", "you said: What time is it\\?")
    command(sh, "help fg", r"fg \[%N\|PID\]\s+bring a job to the foreground")
    sh.sendline("mem")
    sh.expect(r"llmos: usage: mem store TEXT[^\n]*\n")
    assert sh.match.group(0).count("usage") == 1  # said once, not twice
    sh.expect(PROMPT)
    command(sh, "history 4", r"\d+  What time is it\?", r"\d+  help fg", r"\d+  mem")
    sh.sendline("run assistant slow enough to suspend")
    sh.expect(r"pid \d+ · (NEW|READY|RUNNING|WAITING)")  # the status line while it works
    sh.sendcontrol("z")
    sh.expect(r"\[1\]\+ Stopped\s+(\d+)")
    sh.expect(PROMPT)
    sh.sendeof()
    sh.expect("still running")
    sh.expect(PROMPT)
    sh.sendeof()  # the second Ctrl-D leaves
    sh.expect("keep running in the kernel")
    sh.expect(pexpect.EOF)


def test_a_foreground_jobs_approval_is_answered_inline(person_shell):
    sh = person_shell
    sh.sendline("run deleter a.txt b.txt")
    sh.expect(r"pid (\d+) \(deleter\) wants fs\.delete")
    sh.expect(r"path = a\.txt")
    sh.expect(r"approve\? \[y/n/d\]")
    sh.sendline("d")  # details: every argument, escaped
    sh.expect(r"approval \w+: pid \d+ \(deleter\) wants fs\.delete")
    sh.expect(r"path = a\.txt")
    sh.expect(r"digest [0-9a-f]{16}|approve\? \[y/n/d\]")
    sh.sendline("y")
    sh.expect(r"approved \w+")
    sh.expect(r"wants fs\.delete")
    sh.expect(r"path = b\.txt")
    sh.expect(r"approve\? \[y/n/d\]")
    sh.sendline("n")
    sh.expect(r"denied \w+")
    sh.expect(r"a\.txt:deleted \| b\.txt:approval_denied")
    sh.expect(r"time: \d+\.\d+s")
    sh.expect(PROMPT)


def test_a_background_jobs_question_is_a_notice_and_a_pending_item(person_shell):
    sh = person_shell
    sh.sendline("run asker confirm &")
    sh.expect(r"\[question (\w+)\] pid \d+ asks: Pay \$120 for SK123\?")
    qid = sh.match.group(1)
    command(sh, "approvals", rf"question {qid}: pid \d+ \(asker\) asks: Pay \$120")
    sh.sendline(f"approve {qid}")
    seen = set()
    while len(seen) < 2:  # the job may end (and say so) before or after the shell says it approved
        seen.add(sh.expect([f"approved {qid}", r"\[1\]  Done\s+\d+\s+asker confirm\s+yes"]))
    sh.sendline("run asker ask")  # a foreground question is answered with text
    sh.expect(r"asks: What name goes on the ticket\?")
    sh.expect("answer>")
    sh.sendline("Ada Lovelace")
    sh.expect("name=Ada Lovelace")
    sh.expect(PROMPT)


@pytest.mark.browser
def test_travel_booking_with_the_person_confirming_payment(home, tmp_path):
    from drivers.browser import find_chromium
    from tests.sites.server import SITES, serve
    if find_chromium() is None:
        pytest.skip("Chromium is missing: run scripts/setup-chromium.sh")
    trip = {"from": "SFO", "to": "JFK", "date": "2027-03-02"}
    with serve(SITES) as site:
        sh = start(home, {"engine": "tests.browser.travel_oracle:travel_model", "args": {"trip": trip}})
        try:
            sh.sendline(f"run travel book me a flight from SFO to JFK on 2027-03-02 site={site.url}/flights/index.html")
            asked = []
            while True:  # the rules may hold a click for approval on the way; the payment is a question
                i = sh.expect([r"approve\? \[y/n/d\]", r"asks: The travel app wants to ([\s\S]*?)Book it\?", r"time: \d"],
                              timeout=180)
                if i == 2:
                    break
                if i == 1:
                    asked.append(sh.match.group(1))
                    sh.expect(r"confirm\? \[y/n/d\]")
                sh.sendline("y")
                sh.expect(r"approved \w+")
            assert asked and "Confirm booking" in asked[0]  # the person was asked before it paid
            assert re.search(r'"booked": ?true', sh.before), sh.before
            sh.expect(PROMPT)
        finally:
            sh.sendcontrol("c")
            sh.sendeof()
            sh.sendeof()
            sh.expect(pexpect.EOF, timeout=30)


def test_a_notice_does_not_break_the_line_being_typed(person_shell):
    sh = person_shell
    sh.sendline("run assistant quick notice &")
    sh.expect(r"\[1\] \d+")
    sh.expect(PROMPT)
    sh.send("jo")  # half a command, not yet entered, when the job's end is announced
    sh.expect(r"\[1\]  Done")
    sh.expect("you said: quick notice")
    sh.expect(PROMPT)  # the prompt is drawn again below the notice, with the half line on it
    sh.send("bs\r")
    sh.expect("no jobs")
