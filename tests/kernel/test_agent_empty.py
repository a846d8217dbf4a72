"""A prompt app's agent loop never passes off an empty answer as a result: it asks again, then fails."""
from __future__ import annotations

import json

import pytest

from drivers.llm.scripted import ScriptedEngine

pytestmark = pytest.mark.anyio

EMPTY = json.dumps({"tool": "answer", "answer": ""})


async def test_an_empty_answer_is_an_error_exit_not_status_0(kernel_factory, make_app):
    make_app("blank", syscalls=("llm.*", "tool.*"), toml_extra="[agent]\nmax_steps = 3\n")
    engine = ScriptedEngine(default=EMPTY)
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("blank", "Write a haiku"), 30)
    assert (proc.exit_reason, proc.exit_status) == ("error", 1)
    assert "empty answers" in proc.error and "agent.examples" in proc.error
    assert proc.result in (None, "")


async def test_an_empty_answer_is_asked_again_and_a_real_one_returned(kernel_factory, make_app):
    make_app("blank2", syscalls=("llm.*", "tool.*"), toml_extra="[agent]\nmax_steps = 3\n")
    replies = iter([EMPTY, json.dumps({"tool": "answer", "answer": "   "}),
                    json.dumps({"tool": "answer", "answer": "Autumn moonlight"})])
    engine = ScriptedEngine(default=lambda req: next(replies))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("blank2", "Write a haiku"), 30)
    assert (proc.exit_reason, proc.result) == ("exited", "Autumn moonlight")
