"""[agent] task_to: a routed tool is called with the task itself as the named argument, by the loop and not by a
decoded step; a call that finds nothing leaves no trace; the answer held to its output leaves out the words the
task already says (scripted model, exact)."""
from __future__ import annotations

import json

import pytest

from apps.manifest import ManifestError, parse_manifest
from drivers.llm import ScriptedEngine
from drivers.tools.dictionary import Dictionary
from kernel import Kernel, KernelConfig
from kernel.agent.loop import allows_value
from kernel.agent.steps import output_parts
from tests.drivers.test_dictionary_tool import write_db

pytestmark = pytest.mark.anyio

TASK = "What is the plural of mouse?"
TOML = ('[agent]\ntools = ["dictionary"]\nanswer_from = ["dictionary"]\n{extra}'
        "[agent.route]\ndictionary = 'plural of|legs'\n")


async def _run(tmp_path, registry, make_app, extra: str, script: list[str], task: str = TASK):
    make_app("words", syscalls=["llm.json", "tool.*"], tools=["dictionary"], toml_extra=TOML.format(extra=extra))
    eng = ScriptedEngine(script)
    config = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    tools = {"dictionary": Dictionary(write_db(tmp_path / "wordnet"))}
    async with Kernel(config, engine=eng, registry=registry, tools=tools) as k:
        pid = await k.spawn("words", task)
        p = await k.wait(pid, 30)
        calls = [json.loads(e["args"]) for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("call") == "tool.call"]
    return p, eng, calls


def text(eng: ScriptedEngine, step) -> str:
    return eng.detokenize(step.prompt) if step.prompt is not None else str(step.messages)


async def test_the_routed_call_takes_the_task_and_the_answer_is_what_the_task_did_not_say(tmp_path, registry, make_app):
    p, eng, calls = await _run(tmp_path, registry, make_app, 'task_to = { dictionary = "word" }\n',
                               [json.dumps({"tool": "answer", "answer": "mice"})])
    assert (p.exit_reason, p.result) == ("exited", "mice"), p.error
    assert [c["args"] for c in calls] == [{"word": TASK}]  # the question as asked
    (step,) = eng.requests  # the call was the loop's: the one step decoded is the answer
    assert step.json_schema["properties"]["answer"]["enum"] == ["mice"]  # the dictionary's reading, nothing of the task
    assert "Observation from dictionary" in text(eng, step)  # the model saw the call and its reading


async def test_a_routed_call_that_finds_nothing_leaves_no_trace(tmp_path, registry, make_app):
    """A question the dictionary cannot answer ("no entry", an error) is the model's, as if it had not been routed:
    no observation to copy, no answer held to an error's words."""
    p, eng, calls = await _run(tmp_path, registry, make_app, 'task_to = { dictionary = "word" }\n',
                               [json.dumps({"tool": "answer", "answer": "4"})], task="How many legs does a dog have?")
    assert (p.exit_reason, p.result) == ("exited", "4"), p.error
    assert len(calls) == 1 and "dictionary" not in text(eng, eng.requests[0])  # (the prompt never names a task_to tool)
    assert eng.requests[0].json_schema["properties"]["answer"] == {"type": "string"}


async def test_a_task_the_argument_cannot_take_is_routed_for_the_model_to_write(tmp_path, registry, make_app):
    long = "Tell me, if you would be so kind, " * 6 + "what is the plural of mouse?"  # over the tool's 200 characters
    script = [json.dumps({"tool": "dictionary", "word": "plural of mouse"}), json.dumps({"tool": "answer", "answer": "mice"})]
    p, eng, calls = await _run(tmp_path, registry, make_app, 'task_to = { dictionary = "word" }\n', script, task=long)
    assert (p.exit_reason, p.result) == ("exited", "mice"), p.error
    assert eng.requests[0].json_schema["properties"]["tool"] == {"enum": ["dictionary"]}  # still its route's call
    assert [c["args"] for c in calls] == [{"word": "plural of mouse"}]


async def test_without_task_to_the_model_writes_the_argument(tmp_path, registry, make_app):
    script = [json.dumps({"tool": "dictionary", "word": "mouse"}), json.dumps({"tool": "answer", "answer": "mice"})]
    p, eng, _ = await _run(tmp_path, registry, make_app, "", script)
    assert p.result == "mice"
    assert eng.requests[0].json_schema["properties"]["word"]["type"] == "string"
    enum = eng.requests[1].json_schema["properties"]["answer"]["enum"]
    assert "mice" in enum and "mouse" not in enum  # "mouse" is a word of the task


class _Tool:
    name, description = "lookup", "Look a word up."
    schema = {"type": "object", "properties": {"word": {"type": "string", "maxLength": 10}, "n": {"type": "integer"}}}


def test_a_value_the_arguments_schema_refuses_is_left_to_the_model():
    assert allows_value(_Tool(), "word", "short")
    assert not allows_value(_Tool(), "word", "far too long a task")  # over its maxLength
    assert not allows_value(_Tool(), "n", "3")  # not a string argument


def test_parts_leave_out_single_words_of_the_task_but_keep_runs():
    parts = output_parts("moo (noun): the sound made by a cow or bull", not_in="Which animal says moo?")
    assert "cow" in parts and "moo" not in parts and "moo (noun): the sound made by a cow or bull" in parts
    assert "Saturday 5 December" in output_parts("Saturday 5 December 2026", not_in="Is it Saturday?")


def test_task_to_names_a_tool_of_the_app():
    text = ('name = "x"\n[permissions]\nsyscalls = ["llm.json", "tool.*"]\ntools = ["clock"]\n'
            '[agent]\ntools = ["clock"]\ntask_to = { dictionary = "word" }\n')
    with pytest.raises(ManifestError, match=r"'agent\.task_to\.dictionary': 'dictionary' is not one of agent\.tools"):
        parse_manifest(text)


async def test_a_task_to_tool_is_never_offered_to_the_model_nor_guessed(tmp_path, registry, make_app):
    """Outside its route the tool is not in the system prompt, the action's tool enum or the likelihood route:
    the prompt of every other task is what it was without it."""
    make_app("words2", syscalls=["llm.json", "llm.score", "tool.*"], tools=["dictionary", "clock"],
             toml_extra=('[agent]\ntools = ["clock", "dictionary"]\ntask_to = { dictionary = "word" }\n'
                         "route_by_likelihood = true\n[agent.route]\ndictionary = 'plural of'\n"))
    eng = ScriptedEngine([json.dumps({"tool": "answer", "answer": "Paris"})])
    config = KernelConfig(home=str(tmp_path / "home"), subsystems=[])
    async with Kernel(config, engine=eng, registry=registry, tools={"dictionary": Dictionary(tmp_path)}) as k:
        p = await k.wait(await k.spawn("words2", "What is the capital of France?"), 30)
    assert p.result == "Paris", p.error
    step = next(r for r in eng.requests if r.json_schema)
    assert step.json_schema["properties"]["tool"]["enum"] == ["clock", "answer"]
    prompt = eng.detokenize(step.prompt) if step.prompt is not None else str(step.messages)
    assert "clock" in prompt and "dictionary" not in prompt
    scored = [eng.detokenize(r.prompt) if r.prompt is not None else str(r.messages) for r in eng.score_requests]
    assert len(scored) == 2 and not any("dictionary" in t for t in scored)  # a general question, the clock
