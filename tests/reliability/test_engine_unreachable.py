"""An engine that stops listening or never answers, alone or among replicas: the process gets a one-line
error naming the address within the configured timeouts, and the kernel serves the next process."""
import time

import anyio
import pytest

from drivers.llm.replicas import ReplicaEngine
from kernel import Kernel, KernelConfig
from tests.llmstub import StubServer

pytestmark = pytest.mark.anyio

APP = """
from syscalls.errors import SyscallError
async def run(sys, task):
    try:
        r = await sys.llm.chat(task, max_tokens=16)
        return "ok:" + r.text
    except SyscallError as e:
        return f"{e.code}:{e.retryable}:{e.message}"
"""


@pytest.fixture
def stubs():
    made = [StubServer(), StubServer()]
    yield made
    for s in made:
        s.stop()


async def _result(k, task="hi"):
    return (await k.wait(await k.spawn("asker", task), timeout=30)).result


def _config(tmp_path, model, **kw):
    return KernelConfig(home=str(tmp_path / "h"), subsystems=[], model=model, **kw)


async def test_an_engine_that_stops_listening(tmp_path, registry, make_app, stubs):
    make_app("asker", code=APP, syscalls=["llm.*"])
    s = stubs[0]
    async with Kernel(_config(tmp_path, s.url, engine_timeout=2), registry=registry) as k:
        assert await _result(k) == "ok:hello world"
        s.stop()
        got = await _result(k)
        assert got == f"llm_error:True:the model failed: llm engine {s.url} unreachable: connection refused"
        s.start()  # the same port again: the kernel kept running and the next process is served
        assert await _result(k) == "ok:hello world"


async def test_an_engine_that_never_answers_ends_within_the_timeout(tmp_path, registry, make_app, stubs):
    make_app("asker", code=APP, syscalls=["llm.*"])
    s = stubs[0]
    async with Kernel(_config(tmp_path, s.url, engine_timeout=1), registry=registry) as k:
        s.modes[:] = ["hang"] * 3  # the call and its two retries
        t0 = time.monotonic()
        got = await _result(k)
        assert got == f"llm_error:True:the model failed: llm engine {s.url} timed out: no answer within 1 s"
        assert time.monotonic() - t0 < 8  # three tries of 1 s and the back-off between them
        assert await _result(k) == "ok:hello world"


async def test_replicas_from_the_configuration_fail_over_and_recover(tmp_path, registry, make_app, stubs):
    make_app("asker", code=APP, syscalls=["llm.*"])
    a, b = stubs
    cfg = _config(tmp_path, f"{a.url},{b.url}", engine_timeout=2, engine_retry_s=0.5)
    async with Kernel(cfg, registry=registry) as k:
        assert isinstance(k.engine, ReplicaEngine) and k.engine.n_slots == 2 * cfg.n_slots
        a.stop()
        for n in range(3):  # the first is re-sent from a to b unseen; the rest go to b
            assert await _result(k, f"task {n}") == "ok:hello world"
        assert len(b.bodies) == 3 and not k.engine.info()[0].up
        b.stop()
        got = await _result(k)
        assert got.startswith("llm_error:True:the model failed: no llm engine replica available: ")
        assert f"{a.url} (llm engine {a.url} unreachable: connection refused" in got
        assert f"{b.url} (llm engine {b.url} unreachable: connection refused" in got
        a.start()
        await anyio.sleep(0.6)  # past retry_s: a is tried again
        assert await _result(k) == "ok:hello world"
        assert len(a.bodies) == 1
