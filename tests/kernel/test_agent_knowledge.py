"""A general question answered in plain chat (kernel/agent/knowledge.py): taken only when no tool is likelier
and the task is not about the user; a reply cut at the length limit ends at its last whole sentence."""
from __future__ import annotations

import json

import pytest

from drivers.llm.scripted import ScriptedEngine
from kernel.agent.knowledge import about_user, whole_sentences
from kernel.agent.route import KNOWLEDGE
from syscalls.errors import PermissionDenied

pytestmark = pytest.mark.anyio

APP = ('[agent]\ntools = ["clock", "calculator"]\nmax_steps = 3\nroute_by_likelihood = true\n'
       'knowledge_in_chat = true\nmax_tokens_per_step = 16\n'
       '[[agent.examples]]\ntask = "Example task"\nsteps = [{ action = { tool = "answer", answer = "Example answer." } }]\n')


def knowledge_wins(prompt: str, candidate: str) -> float:
    return -1.0 if KNOWLEDGE in prompt else -5.0


async def test_a_general_question_is_answered_in_plain_chat_and_cut_at_a_sentence(kernel_factory, make_app):
    make_app("knows", syscalls=("llm.*", "tool.*"), tools=["clock", "calculator"], toml_extra=APP)
    reply = "Lima is the capital of Peru. It is a large city by the sea with many many many people in it"
    engine = ScriptedEngine([reply], scorer=knowledge_wins)
    async with kernel_factory(engine) as k:
        proc = await k.wait(await k.spawn("knows", "What is the capital of Peru?"), 30)
    assert proc.exit_reason == "exited", proc.error
    assert proc.result == "Lima is the capital of Peru."  # cut at 16 tokens, kept to the whole sentence
    (req,) = engine.requests
    assert req.json_schema is None and req.max_tokens == 16
    text = engine.apply_template(req.messages) if req.messages else str(req.prompt)
    assert "Example task" not in text and '"tool"' not in text  # neither the examples nor the action format


async def test_a_task_about_the_user_a_tie_or_a_likelier_tool_keeps_the_action_loop(kernel_factory, make_app):
    make_app("knows2", syscalls=("llm.*", "tool.*"), tools=["clock", "calculator"], toml_extra=APP)
    answer = json.dumps({"tool": "answer", "answer": "Done."})
    for task, scorer in (("What is my dog's name?", knowledge_wins),
                         ("What is the capital of Peru?", lambda p, c: -2.0),  # a tie says nothing: the loop
                         ("Which month is it?", lambda p, c: -1.0 if "date and time" in p else -5.0)):
        engine = ScriptedEngine([json.dumps({"tool": "clock"}), answer], scorer=scorer, default=answer)
        async with kernel_factory(engine) as k:
            proc = await k.wait(await k.spawn("knows2", task), 30)
        assert proc.exit_reason == "exited" and proc.result == "Done.", proc.error
        assert engine.requests[0].json_schema is not None, task


class _Mem:
    def __init__(self, hits=None, error=None):
        self.hits, self.error, self.asked = hits or [], error, []

    async def recall(self, query, k=5, *, min_score=-1.0, **_):
        self.asked.append((query, k, min_score))
        if self.error:
            raise self.error
        return self.hits


class _Sys:
    def __init__(self, mem):
        self.mem = mem


async def test_about_the_user_by_first_person_or_by_what_memory_holds():
    assert await about_user(_Sys(_Mem()), "Should I take my umbrella?")
    assert await about_user(_Sys(_Mem()), "Where am I? I'm lost")
    assert not await about_user(_Sys(_Mem()), "What is the capital of Italy?")
    mem = _Mem(hits=["the office wifi password is hunter2"])
    assert await about_user(_Sys(mem), "What is the office wifi password?")
    assert mem.asked == [("What is the office wifi password?", 1, 0.3)]
    assert not await about_user(_Sys(_Mem(error=PermissionDenied("no mem.recall grant"))), "What is ice?")


def test_whole_sentences():
    assert whole_sentences("One. Two! Three and") == "One. Two!"
    assert whole_sentences("no end at all") == "no end at all"
    assert whole_sentences("Version 2.5 is out. And") == "Version 2.5 is out."
