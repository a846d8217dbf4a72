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


async def test_a_routed_task_must_call_its_tool_first(kernel_factory, make_app):
    make_app("router", syscalls=("llm.*", "tool.*"),
             toml_extra="[agent]\ntools = [\"clock\", \"calculator\"]\nmax_steps = 3\n"
                        "[agent.route]\nclock = '\\\\bwhat time\\\\b'\n")
    replies = iter([json.dumps({"tool": "clock"}), json.dumps({"tool": "answer", "answer": "It is late."})])
    engine = ScriptedEngine(default=lambda req: next(replies))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("router", "What time is it?"), 30)
        calls = [e["call"] for e in k.events.for_pid(proc.pid) if e["kind"] == "syscall"]
    assert proc.exit_reason == "exited", proc.error
    first, second = engine.requests[0].json_schema, engine.requests[1].json_schema
    assert first["properties"]["tool"] == {"enum": ["clock"]} and "answer" not in first["properties"]
    assert "answer" in second["properties"]["tool"]["enum"]  # later steps choose freely
    assert "tool.call" in calls


async def test_an_unrouted_task_chooses_freely(kernel_factory, make_app):
    make_app("router2", syscalls=("llm.*", "tool.*"),
             toml_extra="[agent]\ntools = [\"clock\"]\nmax_steps = 2\n[agent.route]\nclock = '\\\\bwhat time\\\\b'\n")
    engine = ScriptedEngine(default=json.dumps({"tool": "answer", "answer": "A haiku."}))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("router2", "Write a haiku"), 30)
    assert proc.result == "A haiku." and engine.requests[0].json_schema["properties"]["tool"]["enum"] == [
        "clock", "answer"]
