"""[agent] answer_from: once a source tool has answered, the answer is its output or one of its parts
(scripted model, exact), and the manifest names only tools of the app."""
from __future__ import annotations

import json

import pytest

from apps.manifest import ManifestError, parse_manifest
from drivers.llm import ScriptedEngine
from kernel.agent.steps import output_parts

pytestmark = pytest.mark.anyio

CLOCK = "2026-12-04T16:51:44+00:00 (Friday 4 December 2026, 16:51 UTC)"


def test_a_clock_reading_offers_itself_its_date_time_words_and_runs_of_them():
    parts = output_parts(CLOCK)
    assert parts[0] == CLOCK
    assert {"2026-12-04", "16:51", "Friday", "December", "2026", "Friday 4 December 2026", "16:51 UTC"} <= set(parts)
    assert "T16" not in parts and "Thursday" not in parts
    assert output_parts("x" * 400) == [] and output_parts("  ") == []  # too long to offer: the answer stays free
    assert len(output_parts(" ".join(f"w{i}" for i in range(60)))) <= 60


async def _run(kernel_factory, make_app, name: str, extra: str, script: list[str], task: str = "Which year is it?"):
    make_app(name, syscalls=["llm.json", "tool.*"], tools=["clock", "calculator"],
             toml_extra=f'[agent]\ntools = ["clock", "calculator"]\n{extra}')
    eng = ScriptedEngine(script)
    async with kernel_factory(eng) as k:
        p = await k.wait(await k.spawn(name, task), 30)
    return p, eng


async def test_after_the_source_tool_the_answer_is_held_to_its_parts(kernel_factory, make_app):
    script = [json.dumps({"tool": "clock"}), json.dumps({"tool": "answer", "answer": "2026"})]
    p, eng = await _run(kernel_factory, make_app, "src", 'answer_from = ["clock"]\n', script)
    assert (p.exit_reason, p.result) == ("exited", "2026"), p.error
    first, second = (r.json_schema for r in eng.requests)
    assert first["properties"]["answer"] == {"type": "string"}  # free until the clock has answered
    enum = second["properties"]["answer"]["enum"]
    assert "2022" not in enum and "2026" in enum and len(enum) == len(set(enum))
    assert enum[0].endswith("UTC)") and enum[1][:4].isdigit()  # the reading itself, then its parts


async def test_without_answer_from_the_answer_stays_free(kernel_factory, make_app):
    script = [json.dumps({"tool": "clock"}), json.dumps({"tool": "answer", "answer": "2022"})]
    p, eng = await _run(kernel_factory, make_app, "free", "", script)
    assert p.result == "2022" and eng.requests[1].json_schema["properties"]["answer"] == {"type": "string"}


async def test_a_failed_call_of_the_source_offers_nothing(kernel_factory, make_app):
    script = [json.dumps({"tool": "calculator", "expression": "1 +"}),
              json.dumps({"tool": "answer", "answer": "I could not compute it."})]
    p, eng = await _run(kernel_factory, make_app, "failing", 'answer_from = ["calculator"]\n', script)
    assert p.result == "I could not compute it."
    assert eng.requests[1].json_schema["properties"]["answer"] == {"type": "string"}


@pytest.mark.parametrize("extra, why", [('answer_from = ["browser"]', r"'agent\.answer_from\[0\]': 'browser' is not one"),
                                        ("answer_from = [1]", "answer_from")])
def test_answer_from_names_tools_of_the_app(extra, why):
    text = ('name = "x"\n[permissions]\nsyscalls = ["llm.json", "tool.*"]\ntools = ["clock"]\n'
            f'[agent]\ntools = ["clock"]\n{extra}\n')
    with pytest.raises(ManifestError, match=why):
        parse_manifest(text)


async def test_a_source_the_task_names_nothing_of_leaves_the_answer_free(kernel_factory, make_app):
    """The model may call the clock for a sale price; the answer is then not held to a date and a time."""
    script = [json.dumps({"tool": "clock"}), json.dumps({"tool": "answer", "answer": "97.2"})]
    p, eng = await _run(kernel_factory, make_app, "unasked", 'answer_from = ["clock"]\n', script,
                        task="A jacket is $120 and 25% off, then 8% sales tax is added. What do I pay?")
    assert p.result == "97.2" and eng.requests[1].json_schema["properties"]["answer"] == {"type": "string"}
