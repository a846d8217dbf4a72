"""``llm.score``: candidates ranked by log-likelihood in one pass, with permissions, budgets and typed errors."""
from __future__ import annotations

import json

import pytest

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio

SCORE_APP = """
import json
from syscalls.errors import SyscallError

async def run(sys, task):
    try:
        r = await sys.llm.score([{"role": "user", "content": "2 + 2 ="}], json.loads(task))
    except SyscallError as exc:
        return f"{exc.code}: {exc.message}"
    return json.dumps({"logprobs": r.logprobs, "tokens": r.tokens, "tokens_in": r.tokens_in})
"""


async def run(kernel_factory, make_app, task: str, engine=None, **app):
    make_app("scorer", code=SCORE_APP, **app)
    async with kernel_factory(engine or ScriptedEngine()) as k:
        pid = await k.spawn("scorer", task)
        p = await k.wait(pid, 30)
        return p, k


async def test_candidates_come_back_scored_in_order_and_are_charged(kernel_factory, make_app):
    eng = ScriptedEngine(scorer=lambda prompt, c: -abs(len(c) - 1) - (0 if "2 + 2 =" in prompt else 100))
    p, k = await run(kernel_factory, make_app, json.dumps(["4", "22", "four"]), engine=eng, syscalls=["llm.score"])
    out = json.loads(p.result)
    assert out["logprobs"] == [0.0, -1.0, -3.0] and out["tokens"] == [1, 1, 1]
    assert out["tokens_in"] == p.usage.tokens_in > 3 and p.usage.steps == 1  # prompt and candidates charged
    assert len(eng.score_requests) == 1 and eng.score_requests[0].candidates == ["4", "22", "four"]


async def test_score_needs_its_grant(kernel_factory, make_app):
    p, _ = await run(kernel_factory, make_app, '["4"]', syscalls=["llm.chat"])
    assert p.result.startswith("permission: app 'scorer' is not granted syscall 'llm.score'")


async def test_bad_candidates_are_invalid_not_a_crash(kernel_factory, make_app):
    p, _ = await run(kernel_factory, make_app, '[]', syscalls=["llm.*"])
    assert p.exit_reason == "exited" and p.result.startswith("invalid:")
    p, _ = await run(kernel_factory, make_app, '["' + "x" * 5000 + '"]', syscalls=["llm.*"])
    assert p.result.startswith("invalid:")


async def test_an_engine_that_cannot_score_says_unavailable(kernel_factory, make_app):
    from drivers.llm.base import Engine

    class NoScore(ScriptedEngine):
        score = Engine.score  # the interface's default

    p, _ = await run(kernel_factory, make_app, '["4"]', engine=NoScore(), syscalls=["llm.*"])
    assert p.result == "unavailable: the scripted engine cannot score candidates"


async def test_score_past_the_token_budget_ends_the_process(kernel_factory, make_app):
    p, _ = await run(kernel_factory, make_app, '["' + " ".join(["w"] * 200) + '"]', syscalls=["llm.*"],
                     budgets="tokens = 50")
    assert p.exit_reason == "budget:tokens"
