"""The foreground view and ``llmos run``'s follower on an in-process kernel: inline answers, refusals without a terminal."""
from __future__ import annotations

import anyio
import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from llmos import runfollow
from llmos.channels import LocalChannel
from llmos.fgview import Foreground
from tests.person.test_person_kernel import ASKER
from tests.rules.test_rules_live import DELETER, blocked

pytestmark = pytest.mark.anyio


async def view(k, pid, keys: list[str], ready) -> tuple[object, list[str]]:
    """Run the view for ``pid``, typing each of ``keys`` once ``ready(k, pid)`` says a question is up."""
    said: list[str] = []
    with create_pipe_input() as inp:
        v = Foreground(LocalChannel(k), pid, said.append,
                       session=PromptSession(input=inp, output=DummyOutput(), erase_when_done=True))
        result = {}
        async with anyio.create_task_group() as tg:
            async def go():
                result["out"] = await v.run()
            tg.start_soon(go)
            for key in keys:
                await ready(k, pid)
                with anyio.fail_after(5):
                    while v._shown is None or v._shown.id not in v.follow.pending:  # the question is on screen
                        await anyio.sleep(0.01)
                inp.send_text(key + "\r")
                await anyio.sleep(0.3)
    return result["out"], said


async def test_an_approval_is_answered_inline_with_details_first(kernel_factory, make_app):
    make_app("deleter", code=DELETER, syscalls=["fs.*"])
    async with kernel_factory(subsystems=["rules", "person"]) as k:
        pid = await k.spawn("deleter", "a.txt b.txt")
        out, said = await view(k, pid, ["d", "maybe", "y", "n"], blocked)
    assert out.info.result == "a.txt:deleted | b.txt:approval_denied:fs.delete was not approved " \
                              "(denied by the person): deleting a file cannot be undone"
    assert said[0].startswith("approval ") and "  path = a.txt" in said[0], said  # d: every argument
    assert said[1] == "llmos: answer y (yes), n (no) or d (details)"
    assert said[2].startswith("approved ") and said[3].startswith("denied ")
    assert out.seconds > 0 and not out.stopped and out.typeahead == []


async def test_a_question_is_answered_with_text_and_ctrl_z_suspends(kernel_factory, make_app):
    make_app("asker", code=ASKER, syscalls=["user.*"])

    async def asked(k, pid):
        with anyio.fail_after(5):
            while not k.desk.pending():
                await anyio.sleep(0.01)
    async with kernel_factory(subsystems=["person"]) as k:
        pid = await k.spawn("asker", "ask")
        out, said = await view(k, pid, ["Grace Hopper"], asked)
        assert out.info.result == "name=Grace Hopper" and said[0].startswith("answered ")
        pid = await k.spawn("asker", "confirm")
        out, _ = await view(k, pid, ["\x1a"], asked)  # Ctrl-Z: STOP, and the view returns
        assert out.stopped and k.ptable.get(pid).state.value == "STOPPED"
        k.signal(pid, "KILL")


async def test_without_a_terminal_an_in_process_run_refuses_at_once(kernel_factory, make_app, capsys):
    make_app("deleter", code=DELETER, syscalls=["fs.*"])
    make_app("asker", code=ASKER, syscalls=["user.*"])
    async with kernel_factory(subsystems=["rules", "person"]) as k:  # approvals would wait 300 s
        with anyio.fail_after(10):
            info, _ = await runfollow.follow(LocalChannel(k), await k.spawn("deleter", "a.txt"), tty=False,
                                             remote=False)
            asked, _ = await runfollow.follow(LocalChannel(k), await k.spawn("asker", "confirm"), tty=False,
                                              remote=False)
    assert "approval_denied" in info.result and runfollow.NOBODY in info.result
    assert asked.result == "no"
    err = capsys.readouterr().err
    assert "wants fs.delete(path=a.txt)" in err and "asks: Pay $120 for SK123?" in err and "refused" in err


async def test_a_kernel_gone_under_the_view_is_one_plain_error_not_a_group(kernel_factory, make_app):
    """The shell prints one line for NotRunning; from inside the view's task group it once came out
    as an ExceptionGroup, and the person saw a traceback."""
    from llmos.client import NotRunning

    class Gone(LocalChannel):
        async def rows(self):
            raise NotRunning("the kernel closed the connection (it halted or crashed)")

    make_app("asker", code=ASKER, syscalls=["user.*"])
    async with kernel_factory(subsystems=["person"]) as k:
        pid = await k.spawn("asker", "confirm")
        with create_pipe_input() as inp:
            v = Foreground(Gone(k), pid, lambda _: None,
                           session=PromptSession(input=inp, output=DummyOutput(), erase_when_done=True))
            with anyio.fail_after(10), pytest.raises(NotRunning, match="closed the connection"):
                await v.run()
        k.signal(pid, "KILL")
