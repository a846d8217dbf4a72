"""Routing by likelihood: a prompt app's first step calls the tool under whose description the task is
likeliest, when that beats the no-tool description (scripted model with a given scorer, exact)."""
from __future__ import annotations

import json

import pytest

from drivers.llm.scripted import ScriptedEngine
from kernel.agent.route import KNOWLEDGE

pytestmark = pytest.mark.anyio

ANSWER = json.dumps({"tool": "answer", "answer": "Done."})
APP = "[agent]\ntools = [\"clock\", \"calculator\"]\nmax_steps = 3\nroute_by_likelihood = true\n"


def prefers(word: str, seen: list[str]):
    def scorer(prompt: str, candidate: str) -> float:
        seen.append(prompt)
        return -1.0 if word in prompt else -5.0
    return scorer


async def test_the_likeliest_tool_is_called_first(kernel_factory, make_app):
    make_app("likely", syscalls=("llm.*", "tool.*"), tools=["clock", "calculator"], toml_extra=APP)
    seen: list[str] = []
    engine = ScriptedEngine([json.dumps({"tool": "clock"}), ANSWER], scorer=prefers("date and time", seen))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("likely", "Which month is it?"), 30)
    assert proc.exit_reason == "exited", proc.error
    assert engine.requests[0].json_schema["properties"]["tool"] == {"enum": ["clock"]}
    assert len(seen) == 3 and KNOWLEDGE in seen[0]  # no tool, then each granted tool once


@pytest.mark.parametrize("task, routed", [
    ("At what temperature does water boil at sea level?", False),  # likeliest under the clock, about nothing of it
    ("Say something nice about mornings.", False),
    ("Which month is it?", True),  # "month": a word of the clock's route pattern
    ("tell me todays weekday", True),  # the start of a word: "today"
])
async def test_the_likeliest_tool_is_taken_only_for_a_task_that_names_what_it_is_about(kernel_factory, make_app, task, routed):
    route = "[agent.route]\nclock = '\\b(what (month|weekday)|today)\\b(?=.*\\bnever\\b)'\n"
    make_app("likely4", syscalls=("llm.*", "tool.*"), tools=["clock", "calculator"], toml_extra=APP + route)
    engine = ScriptedEngine([json.dumps({"tool": "clock"}), ANSWER], scorer=prefers("date and time", []))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("likely4", task), 30)
    assert proc.exit_reason == "exited", proc.error
    offered = engine.requests[0].json_schema["properties"]["tool"]
    assert (offered == {"enum": ["clock"]}) is routed, offered


async def test_no_tool_wins_ties_and_when_it_is_likelier(kernel_factory, make_app):
    make_app("likely2", syscalls=("llm.*", "tool.*"), tools=["clock", "calculator"], toml_extra=APP)
    for scorer in (lambda prompt, cand: -2.0, prefers(KNOWLEDGE, [])):
        engine = ScriptedEngine([ANSWER], scorer=scorer)
        async with kernel_factory(engine) as k:
            proc = await k.wait(await k.spawn("likely2", "What is the capital of Peru?"), 30)
        assert proc.result == "Done." and "answer" in engine.requests[0].json_schema["properties"]["tool"]["enum"]


async def test_without_the_score_grant_the_loop_chooses_freely(kernel_factory, make_app):
    make_app("likely3", syscalls=("llm.json", "tool.*"), tools=["clock", "calculator"], toml_extra=APP)
    engine = ScriptedEngine([ANSWER], scorer=prefers("date and time", []))
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("likely3", "Which month is it?"), 30)
    assert proc.exit_reason == "exited" and proc.result == "Done.", proc.error
    assert "answer" in engine.requests[0].json_schema["properties"]["tool"]["enum"]
