"""pal's unit-facts table, its power operator, and the ranking of untied programs by ``llm.score``."""
from __future__ import annotations

import json
import re

import pytest

from apps.pal import program as prog
from apps.pal import units
from drivers.llm import ScriptedEngine


@pytest.mark.parametrize("question, facts", [
    ("A movie lasts 2 hours and 15 minutes. How many minutes long is it?", ["60"]),
    ("How many days are there in 7 weeks?", ["7"]),
    ("What is 17 percent of 300?", ["100"]),
    ("A rope is 4 meters long. How many centimeters long is it?", ["100"]),
    ("A race is 3 kilometers. How many meters is it?", ["1000"]),
    ("There are 7 rows of 6 chairs. How many chairs?", []),
    ("Jo walks 3 days a week.", ["7"]),  # days and weeks: the table does not know which way
])
def test_the_table_gives_the_factors_the_words_call_for(question, facts):
    assert units.factors(question) == facts


def test_factors_join_the_question_numbers_each_once():
    q = prog.normalize("What is 17 percent of 300?")
    pattern = prog.schema(q)["properties"]["expression"]["pattern"]
    assert re.match(pattern, "17 * 300 / 100") and re.match(pattern, "300 / 100 * 17")
    assert not re.match(pattern, "17 * 300") and not re.match(pattern, "17 * 300 / 1000")
    off = prog.schema(q, use_units=False)["properties"]["expression"]["pattern"]
    assert re.match(off, "17 * 300") and not re.match(off, "17 * 300 / 100")


def test_a_factor_equal_to_a_question_number_is_an_atom_of_its_own():
    p = prog.schema(prog.normalize("A clock ticks 60 times a minute. How many times does it tick in 2 hours?")
                    )["properties"]["expression"]["pattern"]
    assert re.match(p, "60 * 60 * 2") and not re.match(p, "60 * 2")
    weeks = prog.schema(prog.normalize("How many days are there in 7 weeks?"))["properties"]["expression"]["pattern"]
    assert re.match(weeks, "7 * 7")


def test_powers_admit_the_power_operator_only_when_asked():
    p = prog.schema("What is 3 to the power of 4?")["properties"]["expression"]["pattern"]  # unread
    assert re.match(p, "3 ** 4") and re.match(p, "4 - 3")
    plain = prog.schema(prog.normalize("Sam has 3 cats and 4 dogs. How many pets?"))["properties"]["expression"]["pattern"]
    assert not re.match(plain, "3 ** 4")


@pytest.mark.anyio
async def test_untied_programs_are_ranked_by_the_models_likelihood(kernel_factory, router):
    replies = iter(["14 + 9", "14 * 9", "9 - 14"])
    router.add("You turn a math word problem", lambda t: json.dumps({"expression": next(replies)}))
    scores = {"14 + 9": -9.0, "14 * 9": -1.0}
    router.engine = ScriptedEngine(default=router.reply, scorer=lambda p, c: scores[json.loads(c)["expression"]])
    q = "Sam has 14 marbles. He buys 9 more. How many marbles does Sam have now?"
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": q, "samples": 3, "search": False, "steps": False})), 10)
    assert p.result == "126"  # no two samples agreed: the likelier program wins over the first one
    [req] = router.engine.score_requests
    assert sorted(req.candidates) == ['{"expression": "14 * 9"}', '{"expression": "14 + 9"}']  # -5 is implausible
    replies = iter(["14 + 9", "14 * 9", "9 - 14"])
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("pal", json.dumps({"question": q, "samples": 3, "rank": False, "search": False, "steps": False})), 10)
    assert p.result == "23" and len(router.engine.score_requests) == 1  # off: the first plausible answer


@pytest.mark.parametrize("question", ["A pole is 3.5 meters long. How many centimeters is it?",
                                      "Mix 1.25 liters and 0.75 liters and 2 liters and 3 liters and 4.5 liters."])
def test_a_question_with_decimals_gives_a_grammar_llama_cpp_reads(question):
    from drivers.llm.base import GenRequest
    from drivers.llm.llama_sampling import grammar_for  # llama.cpp's own converter, as the engine uses it
    schema = prog.schema(prog.normalize(question))
    grammar = grammar_for(GenRequest(prompt=[1], json_schema=schema)) or ""
    assert "3[.]5" in schema["properties"]["expression"]["pattern"] or "1[.]25" in schema["properties"]["expression"]["pattern"]
    assert "root ::=" in grammar and "\\." not in grammar  # llama.cpp's grammar parser: "unknown escape at \."
    pattern = schema["properties"]["expression"]["pattern"]
    assert re.match(pattern, "3.5 * 100") or re.match(pattern, "1.25 + 0.75 + 2 + 3 + 4.5")
