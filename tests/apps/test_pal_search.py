"""pal's search: every line the schema admits for a short question, the answers weighed by the likelihood
of all the lines that compute them."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest

from apps.pal import program as prog
from apps.pal import search
from drivers.llm import ScriptedEngine
from tests.apps.test_pal_coder import run_pal

pytestmark = pytest.mark.anyio

Q = "Sam has 14 marbles. He buys 9 more. How many marbles does Sam have now?"


def test_lines_use_each_number_once_in_every_order():
    got = search.lines(prog.normalize(Q))
    assert len(got) == 8 and {"14 + 9", "9 + 14", "14 / 9", "9 - 14"} <= set(got)
    three = search.lines("Mia has 4 bags of 3 apples and eats 2.")
    assert len(three) == 6 * 4 * 4 and "4 * 3 - 2" in three and all(line.count("4") == 1 for line in three)
    assert search.lines("What is 5?") == [] and search.lines("1 2 3 4 5 apples") == []  # sampling's


def test_unit_factors_and_powers_join_the_lines():
    assert "7 * 7" in search.lines("How many days are there in 7 weeks?")  # the factor equal to a number, kept
    assert "2 ** 9" in search.lines("What is 2 raised to the 9th power?")
    assert not any("**" in line for line in search.lines(Q))
    assert search.lines("What is 17 percent of 300?", use_units=False) == ["17 + 300", "17 - 300", "17 * 300",
                                                                           "17 / 300", "300 + 17", "300 - 17",
                                                                           "300 * 17", "300 / 17"]


def test_values_are_exact_and_refuse_what_does_not_compute():
    assert search.value("2500 / 1000") == Fraction(5, 2) and search.answer_of(Fraction(5, 2)) == "2.5"
    assert search.value("20 - 4 * 3 - 2") == 6
    assert search.value("9 / 0") is None and search.value("10 ** 100") is None
    assert search.value("__import__('os')") is None


async def test_the_answer_with_the_most_likelihood_over_all_its_lines_wins(kernel_factory, router):
    scores = {"14 * 9": -1.0, "14 + 9": -1.5, "9 + 14": -1.5}  # 126 is the likeliest line, 23 the likeliest answer
    router.engine = ScriptedEngine(default=router.reply,
                                   scorer=lambda p, c: scores.get(json.loads(c)["expression"], -20.0))
    async with kernel_factory(router.engine) as k:
        p, program, calls = await run_pal(k, {"question": Q, "search": True})
    assert (p.exit_reason, p.result) == ("exited", "23"), p.error
    assert program.endswith("answer = 14 + 9\nprint(answer)\n")  # the likeliest line of the winning answer ran
    [req] = router.engine.score_requests
    assert sorted(json.loads(c)["expression"] for c in req.candidates) == [  # not 14 / 9 (1.555...) nor 9 - 14
        "14 * 9", "14 + 9", "14 - 9", "9 * 14", "9 + 14"]
    assert "llm.json" not in calls and "tool.call" in calls  # nothing sampled; the calculator computed it


async def test_a_question_search_does_not_cover_is_sampled(kernel_factory, router):
    router.add("You turn a math word problem", json.dumps({"expression": "5 * 2 + 3 + 4 + 1"}))
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": "Add 5, 2, 3, 4 and 1 after doubling the 5.",
                                                          "search": True})), 10)
    assert p.result == "18" and router.engine.score_requests == []


@pytest.mark.parametrize("code", ["unavailable", "invalid"])
async def test_scoring_that_fails_falls_back_to_sampling(kernel_factory, router, code):
    from drivers.llm.base import EngineError

    def refuse(p, c):
        raise EngineError("no scoring here", code=code)
    router.engine = ScriptedEngine(default=router.reply, scorer=refuse)
    router.add("You turn a math word problem", json.dumps({"expression": "14 + 9"}))
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": Q, "samples": 1, "search": True})), 10)
    assert (p.exit_reason, p.result) == ("exited", "23"), p.error


async def test_search_is_off_unless_asked(kernel_factory, router):
    router.add("You turn a math word problem", json.dumps({"expression": "14 + 9"}))
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": Q, "steps": False})), 10)
    assert p.result == "23" and router.engine.score_requests == []  # sampled, nothing scored
