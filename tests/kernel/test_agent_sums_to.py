"""[agent] sums_to: an arithmetic word problem is handed to a solver app as a child process and its number is the
answer; a solver that fails, answers no number or runs too long leaves the task to the loop (scripted model, exact)."""
from __future__ import annotations

import json

import anyio
import pytest

from apps.manifest import ManifestError, parse_manifest
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.agent import delegate
from kernel.agent.steps import word_problem

pytestmark = pytest.mark.anyio

WORDS = "Notebooks cost $4.75 each and a pen costs $1.20. I bought 3 notebooks and one pen. How much did I spend in total?"
SOLVER = "async def run(sys, task):\n    {body}\n"
ASSISTANT = '[agent]\ntools = ["calculator"]\nsums_to = "solver"\n'


@pytest.mark.parametrize("task, expected", [
    (WORDS, True),
    ("I bought 3 notebooks at $4.75 each and a pen for $1.20. How much did I spend in total?", False),  # 3 * 4.75 + 1.20
    ("How many minutes are there in 3.5 hours?", True),  # one number, and it asks how many
    ("A shirt costs $25 and a hat $15 today. What's the price of both?", True),  # two numbers; "today" is no clock's
    ("A jacket costs $80 and it's 25% off today. What's the sale price?", False),  # sums reads it: 80 - 80 * 25 / 100
    ("What is 1234 x 56 - 789?", False),  # it writes its own sum: the calculator takes it as written
    ("How many legs does a spider have?", False),  # no number
    ("How old is someone born in 1990?", False), ("How many days until 2027-01-01?", False),  # the clock's
    ("How do you spell the number 40 in words?", False),  # one number, no count asked
    ("Write a poem of 3 stanzas about 2 cats.", False), ("What happened in 1914 and 1918?", False),  # no value asked
    ("Our dinner bill came to $186.40 and there are 4 of us. What is each share if we split it evenly?", False),  # 186.40 / 4
    ("Our dinner bill came to $186.40 and there are 4 of us, plus a $20 tip. What is each share if we split it evenly?",
     False),  # sums reads it: (186.40 + 20) / 4
    ("3 of us bought 2 pizzas at $12 each and split the cost evenly. How much does each pay?", True),  # no reading takes it
])
def test_a_word_problem_gives_numbers_and_writes_no_sum(task, expected):
    assert word_problem(task) is expected


async def _run(tmp_path, registry, make_app, body: str, script: list[str], task: str = WORDS, extra: str = ""):
    make_app("solver", code=SOLVER.format(body=body), syscalls=["tool.call"])
    make_app("helper", syscalls=["llm.json", "tool.*", "proc.spawn", "proc.wait", "proc.kill"],
             tools=["calculator"], spawn=["solver"], toml_extra=ASSISTANT + extra)
    eng = ScriptedEngine(script)
    async with Kernel(KernelConfig(home=str(tmp_path / "home"), subsystems=[]), engine=eng, registry=registry) as k:
        p = await k.wait(await k.spawn("helper", task), 30)
    calls = [json.loads(line).get("call") for line in (tmp_path / "home" / "logs" / "kernel.jsonl").read_text().splitlines()]
    return p, eng, calls


async def test_a_word_problem_is_the_solvers_and_its_number_is_the_answer(tmp_path, registry, make_app):
    p, eng, _ = await _run(tmp_path, registry, make_app, 'return "15.45"', [])
    assert (p.exit_reason, p.result) == ("exited", "15.45"), p.error
    assert eng.requests == []  # the loop asked the model nothing


async def test_an_app_with_its_own_answer_form_writes_it_from_the_solvers_number(tmp_path, registry, make_app):
    schema = 'output_schema = { type = "object", properties = { total = { type = "number" } }, required = ["total"] }\n'
    p, eng, _ = await _run(tmp_path, registry, make_app, 'return "15.45"',
                           [json.dumps({"tool": "answer", "answer": {"total": 15.45}})], extra=schema)
    assert (p.exit_reason, json.loads(p.result)) == ("exited", {"total": 15.45}), p.error
    (step,) = eng.requests
    prompt = eng.detokenize(step.prompt) if step.prompt is not None else str(step.messages)
    assert "Observation from solver" in prompt and "15.45" in prompt


LOOP = [json.dumps({"tool": "calculator", "expression": "3 * 4.75 + 1.20"}), json.dumps({"tool": "answer", "answer": "15.45"})]


@pytest.mark.parametrize("body", [
    'raise RuntimeError("no program produced an answer")',  # it fails
    'return "about fifteen dollars"',  # it answers no number
])
async def test_a_solver_that_gives_no_number_leaves_the_task_to_the_loop(tmp_path, registry, make_app, body):
    p, eng, _ = await _run(tmp_path, registry, make_app, body, LOOP)
    assert (p.exit_reason, p.result) == ("exited", "15.45"), p.error
    assert eng.requests[0].json_schema["properties"]["tool"] == {"enum": ["calculator"]}  # the calculator first, as before


async def test_a_solver_that_runs_too_long_is_stopped_and_the_loop_goes_on(tmp_path, registry, make_app, monkeypatch):
    monkeypatch.setattr(delegate, "WAIT_SECONDS", 0.5)
    p, eng, calls = await _run(tmp_path, registry, make_app, "import anyio\n    await anyio.sleep(60)", LOOP)
    assert (p.exit_reason, p.result) == ("exited", "15.45"), p.error
    assert len(eng.requests) == 2 and "proc.kill" in calls  # the solver was stopped, not left running


async def test_a_term_of_the_asker_stops_the_solver_too(tmp_path, registry, make_app):
    make_app("solver", code=SOLVER.format(body="import anyio\n    await anyio.sleep(60)"), syscalls=["tool.call"])
    make_app("helper", syscalls=["llm.json", "tool.*", "proc.spawn", "proc.wait", "proc.kill"],
             tools=["calculator"], spawn=["solver"], toml_extra=ASSISTANT)
    async with Kernel(KernelConfig(home=str(tmp_path / "home"), subsystems=[]), engine=ScriptedEngine([]),
                      registry=registry) as k:
        pid = await k.spawn("helper", WORDS)
        while not [c for c in k.ptable.all() if c.app == "solver"]:
            await anyio.sleep(0.05)
        (solver,) = [c for c in k.ptable.all() if c.app == "solver"]
        k.signal(pid, "TERM")
        p = await k.wait(pid, 10)
        with anyio.fail_after(5):
            await solver.done.wait()
    assert p.exit_reason != "exited" and solver.exit_reason == "killed", (p.exit_reason, solver.exit_reason)


async def test_a_task_that_writes_its_sum_is_not_handed_over(tmp_path, registry, make_app):
    script = [json.dumps({"tool": "calculator", "expression": "12 * 3"}), json.dumps({"tool": "answer", "answer": "36"})]
    p, eng, _ = await _run(tmp_path, registry, make_app, 'return "999"', script, task="What is 12 * 3?")
    assert (p.exit_reason, p.result) == ("exited", "36"), p.error


@pytest.mark.parametrize("perms, error", [
    ('syscalls = ["llm.json", "proc.*"]\nspawn = ["other"]', r"'agent\.sums_to': app 'solver' is not in permissions\.spawn"),
    ('syscalls = ["llm.json", "proc.spawn"]\nspawn = ["solver"]', r"'agent\.sums_to': it needs 'proc\.wait'"),
])
def test_sums_to_names_an_app_the_manifest_may_start_and_wait_for(perms, error):
    with pytest.raises(ManifestError, match=error):
        parse_manifest(f'name = "x"\n[permissions]\n{perms}\n[agent]\nsums_to = "solver"\n')
