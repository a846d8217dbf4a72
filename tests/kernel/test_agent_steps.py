"""The agent loop's step guards: a length-cut action is asked again under a tighter schema (never the
end of the process), and arithmetic starts with a calculator call (scripted model, exact)."""
from __future__ import annotations

import json

import pytest

from drivers.llm import ScriptedEngine
from kernel.agent.steps import arithmetic, asks_sum, tidy, tight, unrepeat
from kernel.agent.sums import expressions

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


@pytest.mark.parametrize("text, kept", [
    ("I'm a team at work. I'm a team at work. I'm a team at work.I", "I'm a team at work."),
    ("My team is Falcon. I'm a Falcon. I'm a  falcon! I'm a Fal", "My team is Falcon. I'm a Falcon."),
    ("Noted. I keep it in mind.\nI keep it in mind.\nI keep", "Noted. I keep it in mind."),
    ("Yes. Yes.", "Yes. Yes."),  # one word is no loop
    ("Rain taps the glass in steady time,\nand every drop keeps up the rhyme.", None),
    ("12.5 * 8 - 3", None), ("It is 09:30 UTC on 1 January 2030.", None), ("", None),
    # a phrase said again and again without a sentence end; digits alone are a number, not a loop
    ("19 to the third power: 19 to the third power: 19 to the third power: 19 t", "19 to the third power"),
    ("I love you, I love you, I love you, I love you,", "I love you"), ("My code is 1111 1111 1111.", None),
    # a clause that states the answer's subject again: enumerating, or contradicting the first statement
    ("A week is 7 days and a week is 14 days.", "A week is 7 days."),
    ("A week is 7 days, and a week is 5 days, and a week is 10 days, and a week,", "A week is 7 days."),
    ("The sky is blue. The sky is blue on a clear day.", "The sky is blue."),
    ("The capital of France is Paris and the capital of Italy is Rome.", None),  # another subject
    ("There are 7 days in a week, there are 7.", None),  # no subject before the verb
])
def test_a_text_that_loops_is_cut_where_it_came_back(text, kept):
    assert unrepeat(text) == (text if kept is None else kept)


@pytest.mark.parametrize("text, kept", [
    ("My team is called Falcon. [fact · m-a9e34d8808494ffd user:root · 0.70]", "My team is called Falcon."),
    ("Desk 19. [fact · m-a2d3 user:root · 0.59 [fact · m-3363 user:root · 0.61]", "Desk 19."),  # nested
    ("Desk 19. [fact · m-656f4fb514e9422e user:r", "Desk 19."),  # cut off at the length limit
    ("Tea [preference · m-5bd0 · 0.31], as you like it.", "Tea, as you like it."),
    ("A list [a, b] and x · y stay.", "A list [a, b] and x · y stay."),
    ("M-3b534f8e30e344cb user:eval.mem-number-06.0 · 0.86", ""),  # the bare id and collection
    ("Code 8812 m-3b53 user:ann · 0.86]", "Code 8812"),
])
def test_copied_provenance_marks_are_taken_out(text, kept):
    assert tidy(text) == kept


async def test_an_answer_leaves_out_the_memory_marks_it_copied(kernel_factory, make_app):
    copied = "Your team is called Falcon. [fact · m-a9e34d8808494ffd user:root · 0.70]"
    p, _ = await run_agent(kernel_factory, make_app, "What is my team called?", [answer(copied)])
    assert p.result == "Your team is called Falcon."


async def test_an_answer_that_is_only_a_copied_mark_is_asked_again(kernel_factory, make_app):
    script = [answer("m-3b534f8e user:root · 0.86"), answer("8812")]
    p, eng = await run_agent(kernel_factory, make_app, "What is my gym locker code?", script)
    assert p.result == "8812" and "Your answer was empty" in eng.detokenize(eng.requests[1].prompt)


async def test_a_looping_answer_ends_at_its_first_repeat(kernel_factory, make_app):
    looped = "Rivers flow to the sea. They are long. Rivers flow to the sea. Rivers flow to the sea. Riv"
    p, _ = await run_agent(kernel_factory, make_app, "Tell me about rivers.", [answer(looped)])
    assert p.result == "Rivers flow to the sea. They are long."


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
    assert eng.requests[1].json_schema["properties"]["answer"] == {"enum": ["643"]}  # the answer is its result


async def test_an_arithmetic_answer_is_one_of_the_calculators_results(kernel_factory, make_app):
    script = [json.dumps({"tool": "calculator", "expression": "48 + 17"}),
              json.dumps({"tool": "calculator", "expression": "65 * 23"}), answer("1495")]
    p, eng = await run_agent(kernel_factory, make_app, "What is (48 + 17) * 23?", script)
    assert p.result == "1495"
    assert eng.requests[1].json_schema["properties"]["answer"] == {"enum": ["65"]}
    assert eng.requests[2].json_schema["properties"]["answer"] == {"enum": ["65", "1495"]}
    # a calculator error is no result, and a task that is not arithmetic keeps a free answer
    script = [json.dumps({"tool": "calculator", "expression": "1/0"}), answer("no idea")]
    p, eng = await run_agent(kernel_factory, make_app, "What is 1 divided by 0?", script)
    assert p.result == "no idea" and eng.requests[1].json_schema["properties"]["answer"] == {"type": "string"}
    script = [json.dumps({"tool": "calculator", "expression": "2 + 2"}), answer("Four, and Paris.")]
    p, eng = await run_agent(kernel_factory, make_app, "What is the capital of France?", script)
    assert p.result == "Four, and Paris." and eng.requests[1].json_schema["properties"]["answer"] == {"type": "string"}


async def test_other_tasks_start_free(kernel_factory, make_app):
    p, eng = await run_agent(kernel_factory, make_app, "What is the capital of France?", [answer("Paris")])
    assert p.result == "Paris" and "clock" in eng.requests[0].json_schema["properties"]["tool"]["enum"]


@pytest.mark.parametrize("task, yes", [
    ("What is 1000 minus 357?", True), ("17 percent of 300", True), ("What is 12 squared?", True),
    ("Compute 56*78.", True), ("How much is 9604 divided by 28?", True), ("What is 2 to the power of 12?", True),
    ("What is the capital of France?", False), ("What time is it?", False), ("Is 2027-03-02 a Monday?", False),
    ("Wake me at 6:45", False), ("I have 3 cats and 2 dogs", False),
    ("Add 12, 30 and 7.", True), ("Subtract 45 from 300.", True), ("What is the average of 4 and 9?", True),
    ("Add milk to the list for 2 people", False), ("Add a note: call Bo", False),
    ("Multiply 36 by 25.", True), ("What is the product of 12 and 14?", True), ("Divide 920 by 8.", True),
    ("Take 1,289 away from 5,004.", True), ("What is 19 to the third power?", True), ("Take the bins out", False),
    ("What is the square of 173?", True), ("3 items at 12.75 each and one at 4.6. What's the total?", True),
    ("I have 3 cats and 2 dogs. How many pets is that?", True), ("How many legs does a dog have?", False),
    ("How many hours are there in 2026-12-05?", False),  # a date is no numbers to add
])
def test_what_counts_as_arithmetic(task, yes):
    assert arithmetic(task) is yes


@pytest.mark.parametrize("task, yes", [
    ("I spent $18.49, $7.35 and $22.10 today. What's the total?", True), ("What is 17 * 23 today?", True),
    ("Remember to add 2 eggs and 3 apples to my list", False), ("Remember that 2 + 2 is 4.", False),
])
def test_which_sums_ask_for_their_result(task, yes):
    assert asks_sum(task) is yes


async def test_a_sum_the_task_asks_for_starts_with_the_calculator_though_a_word_routes_elsewhere(kernel_factory, make_app):
    make_app("spent", syscalls=["llm.json", "tool.*"], tools=["calculator", "clock"],
             toml_extra="[agent]\ntools = [\"calculator\", \"clock\"]\n[agent.route]\nclock = 'today'\n")
    eng = ScriptedEngine([json.dumps({"tool": "calculator", "expression": "18.49 + 7.35 + 22.10"}), answer("47.94")])
    async with kernel_factory(eng) as k:
        p = await k.wait(await k.spawn("spent", "I spent $18.49, $7.35 and $22.10 today. What's the total?"), 30)
    assert p.result == "47.94", p.error
    assert eng.requests[0].json_schema["properties"]["tool"] == {"enum": ["calculator"]}


def test_tight_bounds_free_strings_only():
    s = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "enum": ["x"]},
                                          "c": {"type": "string", "maxLength": 10}, "d": {"type": "integer"}}}
    t = tight(s)
    assert t["properties"]["a"]["maxLength"] == 120 and "maxLength" not in t["properties"]["b"]
    assert t["properties"]["c"]["maxLength"] == 10 and "maxLength" not in s["properties"]["a"]  # a copy


@pytest.mark.parametrize("task, own", [
    ("What is (48 + 17) * 23?", ["(48 + 17) * 23"]), ("Add 387, 942 and 1506.", ["387 + 942 + 1506"]),
    ("What is the square root of 1849?", ["sqrt(1849)"]), ("Subtract 4567 from 10000.", ["10000 - 4567"]),
    ("What is 1000 minus 357?", ["1000 - 357"]), ("17 percent of 300", ["17 / 100 * 300"]),
    ("What is the average of 4, 8 and 9?", ["(4 + 8 + 9) / 3"]), ("What is 3 x 4?", ["3 * 4"]),
    ("Multiply 36 by 25.", ["36 * 25"]), ("Divide 920 by 8.", ["920 / 8"]), ("What is 5 raised to 3?", ["5 ^ 3"]),
    ("What is the product of 12 and 14?", ["12 * 14"]), ("the difference between 90 and 35", ["90 - 35"]),
    ("What is the quotient of 81 and 9?", ["81 / 9"]),
    ("Take 1,289 away from 5,004.", ["5,004 - 1,289"]), ("take away 5 from 12", ["12 - 5"]),
    ("What is 19 to the third power?", ["19 ^ 3"]), ("2 to the 10th power", ["2 ^ 10"]),
    ("Deduct 15 from 60.", ["60 - 15"]), ("add 3.75 and 12.6 and 0.89", ["3.75 + 12.6 + 0.89"]),
    ("Can you add up 1284, 973 and 5610 for me?", ["1284 + 973 + 5610"]),
    ("whats a 15% tip on a $64 dinner bill", ["64 * 15 / 100", "15 / 100 * 64"]),
    ("dinner bill was 64.40 and i want to leave a 15% tip. how much is the tip", ["64.40 * 15 / 100"]),  # read whole
    ("A laptop costs $899 before tax and sales tax is 8%. What's the total price including tax?", ["899 + 899 * 8 / 100"]),
    ("My rent went up from $1,200 to $1,260 a month. By what percent did it increase?", ["(1260 - 1200) / 1200 * 100"]),
    ("i paid with a $50 note and the groceries were 37.85. how much change should i get back?", ["50 - 37.85"]),
    ("If I pay for a $37.85 grocery bill with a $50 note, how much change should I get back?", ["50 - 37.85"]), ("what's 3/8 of 640?", ["3 / 8 * 640"]),
    ("A jacket costs $120 and it's 25% off today. What's the sale price?", ["120 - 120 * 25 / 100"]),
    ("If I have 1200 and take away 35% of it, how much is left?", ["1200 - 1200 * 35 / 100"]),
    ("A $120 jacket is 25% off. How much do I save?", ["120 * 25 / 100"]),  # the saving, not the price left
    ("my test scores were 82, 91, 77 and 90 - what's my average", ["(82 + 91 + 77 + 90) / 4"]),
    ("convert 5 miles to km, use 1 mile = 1.609 km", ["5 * 1.609"]),  # a factor the task gives
    ("convert 68 degrees fahrenheit to celsius", ["(68 - 32) * 5 / 9"]), ("What is 20°C in Fahrenheit?", ["20 * 9 / 5 + 32"]),
    ("1250 divided by 25, then add 18 to that. what do u get", ["1250 / 25 + 18"]),
    ("Add 1, 2 and 3 and 4.", ["1 + 2 + 3 + 4"]), ("What is the square of 173?", ["173 ^ 2"]), ("the cube of 4", ["4 ^ 3"]),
    ("Is 2027-3-2 a Monday?", []), ("Wake me at 6:45", []), ("I have 3 cats and 2 dogs", []), ("1/0 + 2", []),
])
def test_the_expressions_a_task_writes_itself(task, own):
    assert expressions(task) == own


async def test_the_first_calculator_call_copies_the_tasks_own_expression(kernel_factory, make_app):
    script = [json.dumps({"tool": "calculator", "expression": "(48 + 17) * 23"}), answer("1495")]
    p, eng = await run_agent(kernel_factory, make_app, "What is (48 + 17) * 23?", script)
    assert p.result == "1495"
    assert eng.requests[0].json_schema["properties"]["expression"] == {"enum": ["(48 + 17) * 23"]}
    assert "1495" in eng.detokenize(eng.requests[1].prompt)


def test_an_answer_may_be_held_to_a_value_with_quotes_or_backslashes():
    """A reading that quotes its example ('cattle: "`moo-cow\' is a child\'s term"') is offered like any other;
    the engine's grammar escapes it (tests/kernel/test_agent_schema.py)."""
    from kernel.agent.steps import results_answer
    schema = {"type": "object", "properties": {"tool": {"enum": ["answer"]}, "answer": {"type": "string"}}}
    held = results_answer(['cattle: "`moo-cow\' is a term', "moo", "back\\slash"], schema, "answer")
    assert held["properties"]["answer"] == {"enum": ['cattle: "`moo-cow\' is a term', "moo", "back\\slash"]}


@pytest.mark.parametrize("value, text", [(37.85 - 50, "-12.15"), (0.1 + 0.2, "0.3"), (7.5, "7.5"), (42, "42"), (1e-12, "1e-12")])
def test_the_calculator_shows_a_result_as_a_person_writes_it(value, text):
    from drivers.tools.builtins import shown
    assert shown(value) == text  # binary rounding noise is not an answer ("-12.149999999999999")
