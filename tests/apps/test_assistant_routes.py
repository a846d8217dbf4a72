"""The assistant's [agent.route] patterns: a task that plainly needs a tool starts with it (the first pattern in
the manifest that matches), and a task that does not is left to the model."""
import tomllib
from pathlib import Path

import pytest

from kernel.agent.loop import routed

ROUTES = tomllib.loads((Path(__file__).parents[2] / "apps/assistant/app.toml").read_text())["agent"]["route"]
TOOLS = {name: name for name in ROUTES}


@pytest.mark.parametrize("task, tool", [
    ("What time is it now?", "clock"),
    ("Could you tell me what weekday it is right now?", "clock"),  # the clock's pattern comes before the dictionary's
    ("What is 17 * 23?", "calculator"),
    ("What is the opposite of hot?", "dictionary"),
    ("What sound does a donkey make?", "dictionary"),
    ("What does a dog say?", "dictionary"),
    ("Which planet is closest to the sun?", "dictionary"),
    ("What type of tall, towering cloud usually brings thunderstorms?", "dictionary"),  # a kind after its qualifiers
    ("What sweet food do bees make?", "dictionary"),
    ("Give me another word that means 'rapid'.", "dictionary"),
    ("Egypt is mostly located on which continent?", "dictionary"),  # the kind asked for last
    ("I keep losing track of time - which year are we living in now?", "clock"),
    ("What is the largest mammal alive today?", "dictionary"),  # "alive today" asks no date
    ("Remember that my sister is called Ana.", "remember"),
    ("At what temperature in Celsius does water boil at sea level?", None),  # "in celsius" is no kind and no verb
    ("What is my favourite colour?", None),  # about the person: memory's, not the dictionary's
    ("What's an antonym of 'generous'?", "dictionary"),
    ("Which is the largest planet in our solar system?", "dictionary"),  # "our solar system" is no one's own
    ("Which 3 planets are closest to the sun?", None),  # a number in the question: not a kind's question
])
def test_a_task_routes_to_the_tool_it_plainly_needs(task, tool):
    assert routed(ROUTES, task, TOOLS) == tool
