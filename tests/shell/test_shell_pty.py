"""The real llmos shell in a pty via pexpect: foreground and background runs, job control, signals, routing."""
from __future__ import annotations

import time

import pexpect

from .conftest import PROMPT


def command(sh, line: str, *expect: str) -> None:
    sh.sendline(line)
    for e in expect:
        sh.expect(e)
    sh.expect(PROMPT)


def live_pids(home) -> dict[str, str]:
    out = home.llmos("ps").stdout.splitlines()[1:]
    return {line.split()[0]: line.split()[4] for line in out}  # PID PPID APP ENGINE STATE


def wait_running(home) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        live = [p for p, s in live_pids(home).items() if s not in ("EXITED", "KILLED")]
        if live:
            time.sleep(0.5)
            return live[0]
        time.sleep(0.1)
    raise AssertionError("no process started")


def test_foreground_run_and_sentence_and_unknown_command(shell):
    command(shell, "run assistant hello world", "you said: hello world")
    command(shell, "tell me about France?", "you said: tell me about France\\?")  # no route of the assistant's
    command(shell, "frobnicate", "unknown command: frobnicate")
    command(shell, "kil 3", "unknown command: kil", "did you mean `kill`")
    command(shell, "run assistant", "run needs an app and a task", "usage: run APP TASK")
    command(shell, "approvals", "no approvals pending")
    command(shell, "help", "commands:", "fg ")
    shell.sendeof()
    shell.expect(pexpect.EOF)


def test_background_run_jobs_and_fg(shell):
    shell.sendline("run assistant slow background job &")
    shell.expect(r"\[1\] (\d+)")
    pid = shell.match.group(1)
    shell.expect(PROMPT)
    command(shell, "jobs", rf"\[1\]\+ Running\s+{pid}")
    assert live_pids(shell.home)[pid] in ("READY", "RUNNING", "WAITING")
    command(shell, "fg %1", "slow background job", "slow slow slow")  # its answer, when it finishes
    command(shell, "jobs", "no jobs")


def test_background_done_notice_appears_above_the_prompt(shell):
    shell.sendline("run assistant quick one &")
    shell.expect(r"\[1\] (\d+)")
    shell.expect(r"\[1\]  Done")  # printed by the shell while it waits at the prompt
    shell.expect("you said: quick one")


def test_ctrl_c_terminates_the_foreground_process_not_the_shell(shell):
    shell.sendline("run assistant slow and interrupted")
    shell.expect("slow and interrupted")  # the prompt line echo
    pid = wait_running(shell.home)
    shell.sendcontrol("c")
    shell.expect(f"sent TERM to {pid}")
    shell.expect(PROMPT)
    assert live_pids(shell.home)[pid] in ("EXITED", "KILLED")
    command(shell, "run assistant still alive", "you said: still alive")


def test_ctrl_z_stops_then_bg_and_kill_of_a_background_pid(shell):
    shell.sendline("run assistant slow to be stopped")
    shell.expect("slow to be stopped")
    wait_running(shell.home)  # the shell has left the prompt: ^Z is now a signal, not a key
    shell.sendcontrol("z")
    shell.expect(r"\[1\]\+ Stopped\s+(\d+)")
    pid = shell.match.group(1)
    shell.expect(PROMPT)
    assert live_pids(shell.home)[pid] == "STOPPED"
    command(shell, "bg %1", r"\[1\]\+ assistant")
    assert live_pids(shell.home)[pid] != "STOPPED"
    command(shell, f"kill {pid}")
    shell.expect(r"\[1\]  (Terminated|Killed)")
    assert live_pids(shell.home)[pid] in ("EXITED", "KILLED")


def test_history_persists_in_the_llmos_home(shell):
    command(shell, "run assistant remember me", "you said: remember me")
    shell.sendeof()
    shell.expect(pexpect.EOF)
    assert "run assistant remember me" in (shell.home.path / "shell_history").read_text()
