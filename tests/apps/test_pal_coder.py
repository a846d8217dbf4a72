"""pal and coder on the scripted model: the plumbing exactly, with the calculator and with the real sandbox."""
from __future__ import annotations

import json

import pytest

from apps.pal import program as prog

pytestmark = pytest.mark.anyio

Q = "Sam has fourteen marbles. He buys 9 more. How many marbles does Sam have now?"


def test_pal_schema_admits_only_the_questions_numbers():
    q = prog.normalize(Q)
    assert q.startswith("Sam has 14 marbles")
    pattern = prog.schema(q)["properties"]["expression"]["pattern"]
    import re
    assert re.match(pattern, "14 + 9") and re.match(pattern, "9 * 14")  # each number once, any order
    for bad in ("14 + 10", "import os", "14", "9 * 14 - 9", "14 + 9 + 1"):
        assert not re.match(pattern, bad), bad
    many = prog.normalize("Ann had 1 2 3 4 5 6 beads.")  # past four numbers: any of them, up to six atoms
    free = prog.schema(many)["properties"]["expression"]["pattern"]
    assert re.match(free, "6 - 1") and re.match(free, "2 * 2 + 3") and not re.match(free, "7 + 1")


def test_pal_problem_sets_are_well_formed_and_disjoint():
    """The 20 measured problems stay held out: the development set shares none of them, and no
    worked example in pal's prompt is one of either set."""
    from pathlib import Path
    data = Path(__file__).parent / "data"
    held_out = json.loads((data / "pal_problems.json").read_text())
    dev = json.loads((data / "pal_dev_problems.json").read_text())
    assert len(held_out) == 20 and len(dev) >= 20
    for p in held_out + dev:
        assert isinstance(p["q"], str) and p["q"].endswith("?") and isinstance(p["a"], int)
    norm = lambda q: " ".join(q.lower().split())
    held = {norm(p["q"]) for p in held_out}
    assert not held & {norm(p["q"]) for p in dev}
    examples = {norm(q) for q, _ in prog.EXAMPLES}
    assert not examples & (held | {norm(p["q"]) for p in dev})


async def run_pal(k, task: dict) -> tuple:
    """(the ended process, the program.py it kept, the syscalls it made) of one pal run on ``task``."""
    pid = await k.spawn("pal", json.dumps(task))
    p = await k.wait(pid, 10)
    program = (k.workspace_path(pid) / "program.py").read_text()
    return p, program, [e["call"] for e in k.events.for_pid(pid) if e["kind"] == "syscall"]


async def test_pal_falls_back_to_the_calculator_without_a_sandbox(kernel_factory, router):
    router.add("You turn a math word problem", json.dumps({"expression": "14 + 9"}))
    async with kernel_factory(router.engine) as k:
        p, program, calls = await run_pal(k, {"question": Q, "search": False, "steps": False})
    assert (p.exit_reason, p.result) == ("exited", "23"), p.error
    assert program.endswith("answer = 14 + 9\nprint(answer)\n")
    assert "tool.call" in calls


async def test_pal_votes_over_samples(kernel_factory, router):
    replies = iter(["14 + 9", "14 * 9", "14 + 9", "9 - 14", "9 + 14"])
    router.add("You turn a math word problem", lambda t: json.dumps({"expression": next(replies)}))
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": Q, "samples": 5, "search": False, "steps": False})), 10)
    assert p.result == "23"  # 14+9 three times, 9+14 once: 23 wins over 126 and (implausible) -5


def tool_calls(k, pid) -> list[str]:
    return [e["args"] for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("call") == "tool.call"]


async def test_pal_runs_its_program_in_the_sandbox(kernel_factory, router, sandbox_ready):
    router.add("You turn a math word problem", json.dumps({"expression": "14 + 9"}))
    async with kernel_factory(router.engine, subsystems=["sandbox"], sandbox_pool=1) as k:
        pid = await k.spawn("pal", json.dumps({"question": Q, "samples": 1, "search": False, "steps": False}))
        p = await k.wait(pid, 60)
        calls = tool_calls(k, pid)
    assert (p.exit_reason, p.result) == ("exited", "23"), p.error
    assert len(calls) == 1 and '"name":"python"' in calls[0]  # the sandbox ran it, not the calculator


SPEC = {"spec": "add(a, b) returns the sum of a and b.",
        "tests": "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n",
        "code": "def add(a, b):\n    return a - b\n"}


async def test_coder_fixes_a_failing_test_in_the_sandbox(kernel_factory, router, sandbox_ready):
    router.add("This code fails the tests", "Here is the fix:\n```python\ndef add(a, b):\n    return a + b\n```\n")
    async with kernel_factory(router.engine, subsystems=["sandbox"], sandbox_pool=1) as k:
        pid = await k.spawn("coder", json.dumps(SPEC))
        p = await k.wait(pid, 120)
        attempts = json.loads((k.workspace_path(pid) / "attempts.json").read_text())
        solution = (k.workspace_path(pid) / "solution.py").read_text()
    assert p.exit_reason == "exited", p.error
    assert solution == "def add(a, b):\n    return a + b\n" == p.result
    assert [a["passed"] for a in attempts] == [False, True]
    assert "AssertionError" in attempts[0]["failure"]  # the real traceback from the sandbox
    assert any("AssertionError" in s for s in router.seen if "This code fails" in s)


async def test_coder_stops_when_its_rounds_end(kernel_factory, router, sandbox_ready):
    router.add("This code fails the tests", "```python\ndef add(a, b):\n    return a * b\n```")
    async with kernel_factory(router.engine, subsystems=["sandbox"], sandbox_pool=1) as k:
        p = await k.wait(await k.spawn("coder", json.dumps({**SPEC, "max_rounds": 2})), 120)
    assert (p.exit_reason, p.exit_status) == ("exited", 1)
    assert p.result.startswith("tests still fail after 2 rounds")


async def test_coder_without_a_sandbox_says_so(kernel_factory, router):
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("coder", json.dumps(SPEC)), 10)
    assert p.exit_reason == "error" and "unavailable" in p.error and "python" in p.error
