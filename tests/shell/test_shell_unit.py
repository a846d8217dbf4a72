"""The shell's parser and completer, and the Shell itself on prompt_toolkit pipe input."""
from __future__ import annotations

import io

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from llmos.shell import ParseError, Shell, parse
from llmos.shell.completer import ShellCompleter


def test_parse_commands_background_and_sentences():
    assert parse("run assistant hi there &").cmd == "run"
    assert parse("run assistant hi there &").background is True
    assert parse("run assistant 'a b'").args == ["assistant", "a b"]
    line = parse("what is 2 + 2?")
    assert line.cmd == "ask" and line.args == ["what is 2 + 2?"]
    assert parse("summarise my notes &").background
    assert parse("").cmd == ""
    assert parse("quit").cmd == "exit"
    with pytest.raises(ParseError, match="unknown command: frob"):
        parse("frob")
    with pytest.raises(ParseError) as e:
        parse("jbos")
    assert "jobs" in e.value.hint
    with pytest.raises(ParseError, match="cannot parse"):
        parse("run assistant 'unclosed")


def completions(text: str) -> list[str]:
    c = ShellCompleter(lambda: ["assistant", "coder"], lambda: ["7", "12", "%1"])
    return [x.text for x in c.get_completions(Document(text), None)]


def test_completion_of_commands_apps_and_pids():
    assert "run" in completions("r") and "jobs" not in completions("r")
    assert completions("run ") == ["assistant", "coder"]
    assert completions("run co") == ["coder"]
    assert completions("kill 1") == ["12"]
    assert "-KILL" in completions("kill -K") or completions("kill -K") == ["-KILL"]
    assert completions("fg %") == ["%1"]


@pytest.mark.anyio
async def test_shell_on_pipe_input(booted):
    out = io.StringIO()
    with create_pipe_input() as inp:
        session = PromptSession(input=inp, output=DummyOutput())
        sh = Shell(booted.path, session=session, out=out)
        inp.send_text("run assistant piped hello\r")
        inp.send_text("ps\r")
        inp.send_text("nonsense\r")
        inp.send_text("\x04")  # Ctrl-D
        assert await sh.run() == 0
    text = out.getvalue()
    assert "you said: piped hello" in text
    assert "PID  PPID  APP" in text
    assert "unknown command: nonsense" in text


def test_say_writes_to_the_stdout_of_the_moment(tmp_path, monkeypatch):
    """Notices go through patch_stdout's proxy, which sys.stdout is only while the prompt runs."""
    import sys
    with create_pipe_input() as inp:
        sh = Shell(tmp_path, session=PromptSession(input=inp, output=DummyOutput()))
    later = io.StringIO()
    monkeypatch.setattr(sys, "stdout", later)
    sh.say("[1]  Done")
    assert later.getvalue() == "[1]  Done\n"


def test_help_for_one_command_and_history_clear_are_commands():
    from llmos.shell.parse import help_text
    assert help_text("fg").startswith("fg [%N|PID]")
    assert "did you mean `jobs`" in help_text("jbos")
    assert parse("history 5").cmd == "history" and parse("clear").cmd == "clear"
    assert parse("attach 7").cmd == "attach" and parse("answer ab12cd Ada").args == ["ab12cd", "Ada"]
