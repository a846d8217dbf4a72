"""pal's multi-line programs (steps.py): statements, the lines each may have, their evaluation, and the wiring."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from apps.pal import program as prog
from apps.pal import search, steps
from drivers.llm import ScriptedEngine
from tests.apps.test_pal_coder import run_pal

Q = "Ann buys 3 pens at 2 dollars each. She pays with a 10 dollar bill. How much change does she get?"
LIKED = {"pens =": -1.0, "bill =": -1.0, "pens = 3 * 2": -1.0, '{"expression": "10 - 6"}': -1.0}


def scorer(prompt: str, cand: str) -> float:
    """The scripted model likes the right lines after their statement, and no line after an empty turn."""
    return -5.0 if prompt.endswith("<|user|>\n<|assistant|>") else LIKED.get(cand, -20.0)


def test_statements_carry_their_own_numbers_and_unit_factors():
    stmts, last = steps.statements(prog.normalize(Q))
    assert stmts == [("Ann buys 3 pens at 2 dollars each.", ["3", "2"]), ("She pays with a 10 dollar bill.", ["10"])]
    assert last == ("How much change does she get?", [])
    stmts, last = steps.statements("Tom has 5 apples and 3 pears, then eats 2. It rains. How many minutes in 4 hours?")
    assert [n for _, n in stmts] == [["5"], ["3"], ["2"]] and last == ("It rains. How many minutes in 4 hours?",
                                                                     ["4", "60"])  # no number: joins the next


def test_a_line_uses_each_of_its_atoms_once_and_nothing_else():
    two = steps.exprs(["3", "2"], False)
    assert len(two) == 8 and {"3 * 2", "2 - 3", "2 / 3"} <= set(two)
    assert all(re.fullmatch(r"(3|2) [-+*/] (3|2)", e) and "3" in e and "2" in e for e in two)
    names = steps.exprs(["pens", "bill", "9"], True)
    assert "bill - pens * 9" in names and "pens ** 9 - bill" in names and len(names) == 6 * 25
    assert all(sorted(re.findall(r"[a-z]+|\d+", e)) == ["9", "bill", "pens"] for e in names)
    assert steps.exprs(["1", "2", "3", "4"], False) == [] and steps.exprs(["7"], False) == ["7"]
    assert "each" not in steps.names("He buys 3 pens for each", set()) and "pens" not in steps.names("3 pens", {"pens"})
    assert {"print", "sum", "max"}.isdisjoint(steps.names("print 3 pages, the sum of 4 and the max", set()))


def test_a_multi_line_program_evaluates_with_the_names_expanded():
    env = {"pens": "3 * 2", "bill": "10"}
    assert steps.expand("bill - pens", env) == "(10) - (3 * 2)"
    assert search.value(steps.expand("bill - pens", env)) == 4  # not 10 - 3 * 2 = 4 by luck: (10 - 3) * 2 differs
    assert search.value(steps.expand("pens / bill", env)) == search.value("6 / 10")


def test_every_worked_example_fits_its_statements_and_is_no_suite_problem():
    for q, lines in steps.EXAMPLES:
        stmts, (last, qnums) = steps.statements(prog.normalize(q))
        assert len(lines) == len(stmts) + 1 and ("\n" in lines[-1]) == bool(qnums), q
        env = {}
        for (_, nums), line in zip(stmts, lines):
            name, expr = line.split(" = ")
            assert expr in steps.exprs(nums, False), line
            env[name] = expr
        final = lines[-1].split("\n")
        if qnums:
            name, expr = final[0].split(" = ")
            assert expr in steps.exprs(qnums, False), final[0]
            env[name] = expr
        assert final[-1].startswith("answer = ") and search.value(steps.expand(final[-1][9:], env)) is not None
    suite = Path(__file__).parents[2] / "llmos" / "eval" / "suites" / "math.jsonl"
    tasks = {" ".join(json.loads(x)["task"].lower().split()) for x in suite.read_text().splitlines() if x.strip()}
    assert not tasks & {" ".join(q.lower().split()) for q, _ in steps.EXAMPLES}


@pytest.mark.anyio
async def test_pal_writes_a_line_per_statement(kernel_factory, router):
    router.engine = ScriptedEngine(default=router.reply, scorer=scorer)
    async with kernel_factory(router.engine) as k:
        p, program, calls = await run_pal(k, {"question": Q, "dims": False})  # steps are on by default
    assert (p.exit_reason, p.result) == ("exited", "4"), p.error
    assert program == ("# Ann buys 3 pens at 2 dollars each.\npens = 3 * 2\n# She pays with a 10 dollar bill.\n"
                       "bill = 10\n# How much change does she get?\nanswer = bill - pens\nprint(answer)\n")
    assert "llm.json" not in calls and "tool.call" in calls  # nothing sampled; the calculator computed it
    given, prior = [r for r in router.engine.score_requests if "pens = 3 * 2" in r.candidates]
    assert all(re.fullmatch(r"pens = (3|2) [-+*/] (3|2)", c) for c in given.candidates)
    assert given.candidates == prior.candidates and "Ann buys" in router.engine.detokenize(given.prompt)
    assert "Ann buys" not in router.engine.detokenize(prior.prompt)  # the same lines after an empty turn
    final = [json.loads(c)["expression"] for c in router.engine.score_requests[-1].candidates]
    assert sorted(final) == ["10 * 6", "10 + 6", "10 - 6", "6 * 10", "6 + 10", "6 / 10"]  # not -4, nor 1.666...


@pytest.mark.anyio
async def test_steps_can_be_turned_off_and_a_one_statement_question_is_sampled(kernel_factory, router):
    router.add("You turn a math word problem into the line", json.dumps({"expression": "3 * 2"}))
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": Q, "samples": 1, "steps": False, "dims": False})), 10)
        assert p.result == "6" and router.engine.score_requests == []
        one = "A box has 3 rows of 2 eggs. How many eggs?"
        p = await k.wait(await k.spawn("pal", json.dumps({"question": one, "samples": 1, "steps": True})), 10)
        assert p.result == "6" and router.engine.score_requests == []
