"""Replicas on two real ``llama_cpp.server`` processes on loopback: affinity seen in the servers' own logs,
new processes spread, and one server killed mid-run while kernel processes still all finish."""
from __future__ import annotations

import anyio
import pytest

from drivers.llm import GenRequest, Message
from drivers.llm.replicas import ReplicaEngine
from kernel import Kernel, KernelConfig
from tests.llamaserver import LlamaServer

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]

APP = """
async def run(sys, task):
    out = []
    for turn in ("Name one fruit.", "Name one color."):
        r = await sys.llm.chat(task + " " + turn, max_tokens=24)
        out.append(r.text)
    return "ok:" + " | ".join(out)
"""


@pytest.fixture
def servers(model_path, tmp_path):
    made: list[LlamaServer] = []
    try:
        for name in ("a", "b"):
            made.append(LlamaServer(model_path, tmp_path / f"{name}.log"))
    except RuntimeError as exc:
        for s in made:
            s.stop()
        pytest.fail(str(exc))
    yield made
    for s in made:
        s.stop()


async def test_a_process_stays_on_its_replica_and_new_ones_spread(servers):
    a, b = servers
    eng = ReplicaEngine([a.url, b.url], n_slots=1, timeout=60)
    await eng.start()
    msgs = [Message("system", "You answer briefly."), Message("user", "Say hello.")]
    for key in ("7", "8"):
        r = await eng.generate(GenRequest(messages=msgs, max_tokens=8, key=key))
        assert r.text.strip() and r.finish_reason in ("stop", "length")
    assert {eng.replica_for("7"), eng.replica_for("8")} == {a.url, b.url}
    home = a if eng.replica_for("7") == a.url else b
    other = b if home is a else a
    before_home, before_other = home.chats(), other.chats()
    for turn in range(3):
        msgs.append(Message("user", f"And now say hello {turn + 2} times."))
        await eng.generate(GenRequest(messages=msgs, max_tokens=8, key="7"))
    # the servers' access logs: every call of key 7 reached its replica, none the other
    assert home.chats() - before_home == 3 and other.chats() == before_other
    await eng.close()


async def test_kill_one_server_mid_run_and_every_process_finishes(servers, tmp_path, registry, make_app):
    a, b = servers
    make_app("talker", code=APP, syscalls=["llm.*"])
    cfg = KernelConfig(home=str(tmp_path / "h"), subsystems=[], model=f"{a.url},{b.url}", n_slots=1,
                       engine_timeout=60, engine_retry_s=60, syscall_timeout=300)
    async with Kernel(cfg, registry=registry) as k:
        eng = k.engine
        assert isinstance(eng, ReplicaEngine)
        pids = [await k.spawn("talker", f"Process {n}.") for n in range(4)]
        with anyio.fail_after(120):  # kill b while it is streaming an answer
            while not (eng.info()[1].in_flight and eng.replicas[1].engine.stats().tokens_generated):
                await anyio.sleep(0.02)
        b.kill()
        done = [await k.wait(pid, timeout=240) for pid in pids]
        for p in done:
            assert p.exit_status == 0 and p.result.startswith("ok:"), (p.exit_status, p.result)
        assert not eng.info()[1].up and "llm engine " + b.url in eng.info()[1].error
        assert a.chats() >= 8  # b was killed in its first answer: every one of the 8 calls was answered by a
        retried = [e for pid in pids for e in k.events.for_pid(pid) if e["kind"] == "syscall.retry"]
        assert retried, "the process cut off mid-answer should have retried on the other replica"
