"""Every view a person reads (ps, logs and event lines, top, the shell, a run's result, approvals
of a live kernel) shows untrusted text with its control and bidi characters escaped."""
from __future__ import annotations

import io
import time
import unicodedata

import anyio
import pytest
from rich.text import Text

from kernel.api import handlers
from kernel.api import messages as m
from kernel.proc.process import State
from llmos.approvals import render_approval
from llmos.format import event_line, ps_table
from tests.top.fake import FakeSource, proc

pytestmark = pytest.mark.anyio
EVIL = "ok\x1b[2K\r\x1b[31mrm -rf ~\u202egnp.exe\x07\u200b"


def _clean(text: str) -> bool:
    return not any(c != "\n" and unicodedata.category(c) in ("Cc", "Cf") for c in text)


def test_ps_escapes_app_and_task():
    row = proc(5, app="ev\x1bil", task=EVIL)
    out = ps_table([row])
    assert _clean(out) and "ok\\x1b[2K \\x1b[31mrm" in out and "ev\\x1bil" in out


def test_event_lines_escape_every_field():
    line = event_line({"ts": time.time(), "seq": 1, "kind": "syscall\x1b[2J", "pid": 3, "call": EVIL,
                       "args": {"path": EVIL}, EVIL: 1})
    assert _clean(line) and "\n" not in line and "\\u202e" in line


def test_event_line_with_a_bad_timestamp_is_still_one_line():
    assert event_line({"ts": "never", "kind": "x", "pid": 1}).startswith("??:??:?? ")


def test_top_cells_are_escaped_plain_text_not_markup():
    from llmos.top.app import TopApp

    app = TopApp(FakeSource())
    cells = app._cells(proc(4, app="[bold red]fake[/]", current=EVIL), 0, 0.0)
    assert all(isinstance(c, Text) for c in cells)
    assert cells[2].plain == "[bold red]fake[/]" and not cells[2].spans  # markup stays literal text
    from llmos.top.view import COLUMNS
    syscall = cells[COLUMNS.index("SYSCALL")].plain
    assert _clean(syscall) and "\\x1b" in syscall


def test_shell_say_escapes_but_keeps_line_breaks(tmp_path):
    from llmos.shell.repl import Shell

    out = io.StringIO()
    sh = Shell(home=tmp_path, out=out, session=object())
    sh.say(f"result line 1\n{EVIL}")
    text = out.getvalue()
    assert text.startswith("result line 1\nok\\x1b[2K\\x0d") and _clean(text)


def test_run_result_is_escaped_on_a_terminal_and_exact_into_a_pipe(monkeypatch, capsys):
    from llmos.commands import procs

    info = m.ProcInfo(pid=1, ppid=0, app="a", task="t", state="EXITED", priority=20, ctx_used=0, ctx_limit=1,
                      tokens_in=0, tokens_out=0, syscalls=0, steps=0, started=0.0, cpu_time=0.0,
                      exit_reason="exited", exit_status=0, result=EVIL)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    procs.report(info)
    assert capsys.readouterr().out == "ok\\x1b[2K\\x0d\\x1b[31mrm -rf ~\\u202egnp.exe\\x07\\u200b\n"
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    procs.report(info)
    assert capsys.readouterr().out == EVIL + "\n"


PADDER = '''
async def run(sys, task):
    await sys.fs.write("victim.txt", "x")
    try:
        await sys.fs.delete("\\u2003" * 3000 + "\\x1b[2K\\r" + "victim.txt")
    except Exception as exc:
        return type(exc).__name__
    return "deleted"
'''


async def test_a_live_approval_shows_the_padded_target_whole_and_show_gets_everything(kernel_factory, make_app):
    make_app("padder", code=PADDER, syscalls=["fs.*"])
    async with kernel_factory(subsystems=["rules"], approval_ttl=30) as k:
        pid = await k.spawn("padder", "go")
        with anyio.fail_after(10):
            while not k.rules.book.pending() or k.ptable.get(pid).state is not State.BLOCKED:
                await anyio.sleep(0.01)
        [listed] = await handlers.approvals(k, m.Approvals())
        text = render_approval(listed, full=False, width=80)
        assert _clean(text) and "path = ⟨3000 blanks⟩\\x1b[2K\\x0dvictim.txt" in text
        [one] = await handlers.approvals(k, m.Approvals(approval=listed.id, full=True))
        assert one.leaves["path"] == "\u2003" * 3000 + "\x1b[2K\rvictim.txt" and one.digest == listed.digest
        with pytest.raises(handlers.ApiError):
            await handlers.approvals(k, m.Approvals(approval="nosuch"))
        await handlers.deny(k, m.Deny(approval=listed.id))
        assert (await k.wait(pid, 10)).result == "ApprovalDenied"


def test_llmos_apps_escapes_an_installed_apps_description(tmp_path, monkeypatch, capsys):
    from llmos.cli import main

    folder = tmp_path / "home" / "apps" / "trick"
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text('name = "trick"\nentry = "prompt"\ndescription = "fine\\u001b[2K\\rbank"\n'
                                     '[permissions]\nsyscalls = ["llm.json"]\n')
    monkeypatch.setenv("LLMOS_HOME", str(tmp_path / "home"))
    assert main(["apps"]) == 0
    out = capsys.readouterr().out
    assert "fine\\x1b[2K\\x0dbank" in out and _clean(out)
    assert main(["apps", "show", "trick"]) == 0
    assert "fine\\x1b[2K\\x0dbank" in capsys.readouterr().out
