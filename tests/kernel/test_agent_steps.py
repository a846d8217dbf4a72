"""The agent loop's step guards: a length-cut action is asked again under a tighter schema (never the
end of the process), and arithmetic starts with a calculator call (scripted model, exact)."""
from __future__ import annotations

import json

import pytest

from drivers.llm import ScriptedEngine
from kernel.agent.steps import arithmetic, tight

pytestmark = pytest.mark.anyio

LONG = '{"tool": "answer", "answer": "' + "on and " * 200 + '"}'


def answer(text: str) -> str:
    return json.dumps({"tool": "answer", "answer": text})


async def run_agent(kernel_factory, make_app, task: str, script: list, **cfg):
    make_app("helper", syscalls=["llm.json", "tool.*"], tools=["calculator", "clock"],
             toml_extra="[agent]\ntools = [\"calculator\", \"clock\"]\n")
    eng = ScriptedEngine(script)
    async with kernel_factory(eng, **cfg) as k:
        pid = await k.spawn("helper", task)
        p = await k.wait(pid, 30)
    return p, eng


async def test_a_length_cut_action_is_asked_again_with_bounded_strings(kernel_factory, make_app):
    p, eng = await run_agent(kernel_factory, make_app, "Tell me about rivers.", [LONG, answer("Rivers flow.")])
    assert p.exit_reason == "exited" and p.result == "Rivers flow."
    first, second = eng.requests[0].json_schema, eng.requests[1].json_schema
    assert "maxLength" not in first["properties"]["answer"]
    assert second["properties"]["answer"]["maxLength"] == 120 and second["properties"]["tool"] == first["properties"]["tool"]


async def test_then_for_the_answer_alone_and_only_then_it_ends(kernel_factory, make_app):
    p, eng = await run_agent(kernel_factory, make_app, "Tell me about rivers.", [LONG, LONG, answer("Short.")])
    assert p.result == "Short."
    assert eng.requests[2].json_schema["properties"]["tool"] == {"enum": ["answer"]}
    assert eng.requests[2].json_schema["required"] == ["tool", "answer"]
    p, eng = await run_agent(kernel_factory, make_app, "Tell me about rivers.", [LONG, LONG, LONG, answer("late")])
    assert p.exit_reason == "error" and "finish_reason=length" in p.error and len(eng.requests) == 3


async def test_arithmetic_starts_with_the_calculator(kernel_factory, make_app):
    script = [json.dumps({"tool": "calculator", "expression": "1000 - 357"}), answer("643")]
    p, eng = await run_agent(kernel_factory, make_app, "What is 1000 minus 357?", script)
    assert p.result == "643"
    forced = eng.requests[0].json_schema
    assert forced["properties"]["tool"] == {"enum": ["calculator"]} and forced["required"] == ["tool", "expression"]
    assert "643" in eng.detokenize(eng.requests[1].prompt)  # the calculator's result was observed
    assert "clock" in eng.requests[1].json_schema["properties"]["tool"]["enum"]  # then every tool again


async def test_other_tasks_start_free(kernel_factory, make_app):
    p, eng = await run_agent(kernel_factory, make_app, "What is the capital of France?", [answer("Paris")])
    assert p.result == "Paris" and "clock" in eng.requests[0].json_schema["properties"]["tool"]["enum"]


@pytest.mark.parametrize("task, yes", [
    ("What is 1000 minus 357?", True), ("17 percent of 300", True), ("What is 12 squared?", True),
    ("Compute 56*78.", True), ("How much is 9604 divided by 28?", True), ("What is 2 to the power of 12?", True),
    ("What is the capital of France?", False), ("What time is it?", False), ("Is 2027-03-02 a Monday?", False),
    ("Wake me at 6:45", False), ("I have 3 cats and 2 dogs", False),
])
def test_what_counts_as_arithmetic(task, yes):
    assert arithmetic(task) is yes


def test_tight_bounds_free_strings_only():
    s = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "enum": ["x"]},
                                          "c": {"type": "string", "maxLength": 10}, "d": {"type": "integer"}}}
    t = tight(s)
    assert t["properties"]["a"]["maxLength"] == 120 and "maxLength" not in t["properties"]["b"]
    assert t["properties"]["c"]["maxLength"] == 10 and "maxLength" not in s["properties"]["a"]  # a copy
