"""pal's dimensional analysis (dims.py): units read from the words, the unit asked for, and the lines kept;
and powers in words read as numbers (program.normalize)."""
from __future__ import annotations

import json

import pytest

from apps.pal import dims, search
from apps.pal import program as prog
from drivers.llm import ScriptedEngine
from tests.apps.test_pal_coder import run_pal
from tests.apps.test_pal_steps import LIKED, Q, scorer

KM, HOUR, MIN = (("kilometer", 1),), (("hour", 1),), (("minute", 1),)
PER_MIN = (("minute", -1),)


def values(lines: list[str]) -> set[str]:
    return {search.answer_of(v) for line in lines if search.plausible(v := search.value(line))}


def test_numbers_take_their_units_from_the_words_after_them():
    q = prog.normalize("A van drives at 60 kilometers per hour for 3 hours, stops half an hour, and earns "
                       "20 dollars a day for 7 days. A pump moves 40 liters of water every minute.")
    assert dims.quantities(q) == [(("hour", -1), ("kilometer", 1)), HOUR, HOUR, (), (("day", -1), ("dollar", 1)),
                                  (("day", 1),), (("liter", 1), ("minute", -1))]  # 1/2 of an hour: 1 is the hour
    assert dims.quantities("Ann buys 3 pens at 2 dollars each and a hat.") == [(), (("dollar", 1),)]
    assert dims.quantities("A bed is 2 meters long with 4 legs.") == [(("meter", 1),), ()]  # legs are counted
    # a currency sign is its word after the number; a second measure with no "per" is another phrase's
    assert dims.quantities("I make $22.50 an hour and worked 38 hours this week.") == [(("dollar", 1), ("hour", -1)), HOUR]
    assert dims.quantities("A tip of 18% on a £65 bill, or €3 a day.") == [(("percent", 1),), (("sterling", 1),), (("day", -1), ("euro", 1))]
    assert dims.asked("I want to leave an 18% tip on a $65 bill. How much is the tip?") == (("dollar", 1),)
    # abbreviated units are read as their words (program.normalize), and pounds convert to ounces by the table
    assert dims.lines(prog.normalize("I drive 345 miles at 60 mph. How many hours will it take?")) == ["345 / 60"]
    assert values(dims.lines(prog.normalize("how many ounces are in 3.5 lb?"))) == {"56"}
    assert prog.normalize("It takes 250 g and 2 hrs; 1 in 4 people") == "It takes 250 grams and 2 hours; 1 in 4 people"
    # a rate asked per something, and a bare number that a price names, in money
    assert dims.lines(prog.normalize("I got paid $612 for 36 hours of work. What's my hourly rate?")) == ["612 / 36"]
    assert dims.lines(prog.normalize("a 2.5 kg bag of apples costs 8.75 - whats the price per kilo")) == ["8.75 / 2.5"]


def test_the_unit_asked_for():
    assert dims.asked("A car is fast. What is its speed in kilometers per hour?") == (("hour", -1), ("kilometer", 1))
    assert dims.asked("How many minutes does it take?") == MIN
    assert dims.asked("How many apples are left?") == ()  # a count
    assert dims.asked("A box is 5 centimeters wide. What is its volume in cubic centimeters?") == (("centimeter", 3),)
    assert dims.asked("Out of 40 tests she passed 30. What percent did she pass?") == (("percent", 1),)
    assert dims.asked("A pen costs 3 dollars. How much do 4 pens cost?") == (("dollar", 1),)
    assert dims.asked("A pen costs 3 coins. How much do 4 pens cost?") is None  # money, but no unit named
    assert dims.asked("When does it arrive?") is None


def test_unit_facts_convert_one_way():
    assert dims.factor_units("How many minutes are in 3 hours?") == [(("hour", -1), ("minute", 1))]
    assert dims.factor_units("What is 20 percent of 50?") == [(("percent", 1),)]
    assert dims.lines("How many minutes are in 3 hours?") == ["3 * 60", "60 * 3"]  # not 3 / 60
    assert dims.lines("How many hours are 180 minutes?") == ["180 / 60"]


def test_only_lines_whose_units_are_the_ones_asked_for_are_kept():
    rate = "A pump moves 40 liters per minute. How many liters does it move in 15 minutes?"
    assert values(dims.lines(rate)) == {"600"} and "40 + 15" not in dims.lines(rate)
    back = "A bike goes 18 kilometers per hour. How many hours does it need for 54 kilometers?"
    assert values(dims.lines(back)) == {"3"}
    walk = "Walking at 6 kilometers per hour, how many minutes does it take to walk 3 kilometers?"
    assert values(dims.lines(walk)) == {"30"}  # 3 / 6 * 60, in any order
    pct = prog.normalize("A coat costs 80 dollars. How many dollars is 25 percent of it?")
    assert values(dims.lines(pct)) == {"20", "320"}  # 80 * 25 / 100 and 80 / 25 * 100 both come out in dollars
    cube = "A box is a cube with edges of 4 centimeters. What is its volume in cubic centimeters?"
    assert values(dims.lines(cube)) == {"64"}  # 4 ** 3, the 3 from "cube"


def test_the_analysis_stays_out_where_it_cannot_tell():
    assert dims.lines("Sam has 14 marbles and buys 9 more. How many marbles does he have?") is None  # no measure
    assert dims.lines("A train leaves at 2 pm and rides 3 hours. When does it arrive?") is None  # a clock time
    assert dims.lines("A pen costs 2 dollars. Sam buys 3 pens. How many does he have left then?") == []  # none fit


def test_unit_of_checks_sums_and_names_and_growth():
    known = {"3": (), "12": (("dollar", 1),), "cost": (("dollar", 1),), "2": (("day", -1),), "4": (("day", 1),)}
    assert dims.unit_of("3 * 12 + cost", known) == (("dollar", 1),)
    assert dims.unit_of("3 + cost", known) is None  # a count plus money
    assert dims.unit_of("3 * 2 ** 4", known) == ()  # 2 times every day, for 4 days
    assert dims.unit_of("12 ** 3", known) == (("dollar", 3),) and dims.unit_of("12 ** 4", known) is None
    with pytest.raises(dims.Unknown):
        dims.unit_of("3 * pens", known)
    assert dims.agreeing(["3 + cost", "3 * cost", "3 * pens"], known) == ["3 * cost", "3 * pens"]
    assert dims.agreeing(["3 + cost"], known) == ["3 + cost"]  # all of them when none would be kept
    assert dims.agreeing(["3 * cost", "cost / 3", "12 / cost"], known, ()) == ["12 / cost"]


def test_powers_in_words_are_read_as_numbers():
    assert prog.normalize("What is 5 to the power of 3 plus the square of 12?") == "What is 125 plus 144?"
    assert prog.normalize("What is 2 raised to the 10th power minus 4 cubed?") == "What is 1024 minus 64?"
    assert prog.normalize("Bacteria triples every hour.") == "Bacteria 3 times every hour."
    assert prog.normalize("What is 10 to the power of 40?") == "What is 10 to the power of 40?"  # too big: left


@pytest.mark.anyio
async def test_pal_weighs_only_the_lines_the_units_allow(kernel_factory, router):
    router.engine = ScriptedEngine(default=router.reply, scorer=lambda p, c: LIKED.get(c, -20.0))
    async with kernel_factory(router.engine) as k:
        p, program, calls = await run_pal(k, {"question": Q})  # "how much change" with dollars: a dollar amount
        first = [json.loads(c)["expression"] for c in router.engine.score_requests[0].candidates]
        assert first == [line for line in dims.lines(Q) if search.plausible(search.value(line))] and "3 * 2 * 10" not in first and "10 - 3 * 2" in first
        assert (p.exit_reason, p.result) == ("exited", "16"), p.error  # the scripted model likes none: most lines
        assert "llm.json" not in calls
    router.engine = ScriptedEngine(default=router.reply, scorer=scorer)
    async with kernel_factory(router.engine) as k:  # without it, steps weigh answer lines in every unit
        p, _, _ = await run_pal(k, {"question": Q, "dims": False})
        final = [json.loads(c)["expression"] for c in router.engine.score_requests[-1].candidates]
        assert p.result == "4" and "10 * 6" in final


SHOP = "Ann buys 3 pens at 2 dollars each and 4 cups at 5 dollars each. She pays with a 50 dollar bill. How much change does she get?"
SHOP_LIKED = {"pens =": -1.0, "cups =": -1.0, "bill =": -1.0, "pens = 3 * 2": -1.0, "cups = 4 * 5": -1.0, "bill = 50": -1.0}


@pytest.mark.anyio
@pytest.mark.parametrize("on", [True, False])
async def test_steps_answer_only_in_the_unit_asked_for(kernel_factory, router, on):
    assert dims.lines(SHOP) is None  # five numbers: past the one-line search, so steps write it
    router.engine = ScriptedEngine(default=router.reply, scorer=lambda p, c: -5.0 if p.endswith("<|user|>\n<|assistant|>")
                                   else SHOP_LIKED.get(c, -20.0))  # as test_pal_steps.scorer
    async with kernel_factory(router.engine) as k:
        p, program, _ = await run_pal(k, {"question": SHOP, "dims": on})
    assert p.exit_reason == "exited" and "pens = 3 * 2" in program and "cups = 4 * 5" in program
    final = [json.loads(c)["expression"] for c in router.engine.score_requests[-1].candidates]
    usd = (("dollar", 1),)
    other = [e for e in final if dims.unit_of(e, {"50": usd, "6": usd, "20": usd}) != usd]  # 50 * 6 - 20: no
    assert (other == [] and "50 - 6 - 20" in final) if on else len(other) > 0, final
