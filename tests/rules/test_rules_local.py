"""Approvals in an in-process `llmos run`: asked on the terminal, or explained when nobody can answer."""
from __future__ import annotations

import builtins

import anyio
import pytest

from llmos import approve_local
from tests.rules.test_rules_live import DELETER

pytestmark = pytest.mark.anyio


async def run_with(k, interactive):
    pid = await k.spawn("deleter", "a.txt")
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: approve_local.serve(k, interactive=interactive))
        proc = await k.wait(pid, timeout=20)
        tg.cancel_scope.cancel()
    return proc


@pytest.mark.parametrize("answer,result", [("y", "a.txt:deleted"), ("n", "a.txt:approval_denied")])
async def test_terminal_answer_decides(kernel_factory, make_app, monkeypatch, capsys, answer, result):
    make_app("deleter", code=DELETER, syscalls=["fs.*"])
    prompts = []
    monkeypatch.setattr(builtins, "input", lambda prompt: prompts.append(prompt) or answer)
    async with kernel_factory(subsystems=["rules"]) as k:
        proc = await run_with(k, True)
    assert proc.result.startswith(result) and prompts == ["approve? [y/N] "]
    err = capsys.readouterr().err
    assert "wants fs.delete\n" in err and "\n  path = a.txt\n" in err and "`approve" not in err


async def test_without_a_terminal_it_says_nobody_can_approve(kernel_factory, make_app, capsys):
    make_app("deleter", code=DELETER, syscalls=["fs.*"])
    async with kernel_factory(subsystems=["rules"], approval_ttl=0.3) as k:
        proc = await run_with(k, False)
    assert "expired" in proc.result and "nobody can approve" in capsys.readouterr().err
