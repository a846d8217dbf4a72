"""ReplicaEngine routing against stub servers on loopback: affinity, least loaded, failover, retry-after,
all-down, and the one-line errors of an unreachable or silent engine."""
from __future__ import annotations

import socket
import time

import anyio
import pytest

from drivers.llm import EngineError, GenRequest, Message, OpenAIEngine, ScriptedEngine, open_engine
from drivers.llm.factory import parse_spec
from drivers.llm.replicas import ReplicaEngine
from tests.llmstub import StubServer

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stubs():
    made: list[StubServer] = []

    def make(n: int = 2) -> list[StubServer]:
        made.extend(StubServer() for _ in range(n))
        return made[-n:]
    yield make
    for s in made:
        s.stop()


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def req(key: str, text: str = "hi") -> GenRequest:
    return GenRequest(messages=[Message("user", text)], max_tokens=8, key=key)


async def test_one_key_stays_on_its_replica_and_new_keys_spread(stubs):
    a, b = stubs()
    eng = open_engine(f"{a.url},{b.url}", n_slots=2)
    assert isinstance(eng, ReplicaEngine) and eng.n_slots == 4
    await eng.start()
    for key in ("1", "2", "3", "4"):  # one at a time: equal load, so the fewest pinned keys wins
        assert (await eng.generate(req(key))).text == "hello world"
    assert [eng.replica_for(k) for k in "1234"] == [a.url, b.url, a.url, b.url]
    for _ in range(3):
        await eng.generate(req("1", "and again"))
    assert len(a.bodies) == 5 and len(b.bodies) == 2  # the servers saw it: key 1's calls all went to a
    assert eng.stats().requests == 7 and eng.stats().tokens_generated == 14
    eng.kv_forget("1")
    assert eng.replica_for("1") is None and [i.keys for i in eng.info()] == [1, 2]
    await eng.close()


async def test_a_new_key_goes_to_the_replica_with_fewest_requests_in_flight(stubs):
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    await eng.generate(req("x"))  # x on a
    await eng.generate(req("y"))  # y on b
    await eng.generate(req("z"))  # z on a: a has 2 keys, b has 1
    b.modes[:] = ["slow"]
    b.answer = ("one", " two", " three")
    async with anyio.create_task_group() as tg:
        tg.start_soon(eng.generate, req("y", "long"))  # y is busy on b ...
        await anyio.sleep(0.3)
        assert [i.in_flight for i in eng.info()] == [0, 1]
        await eng.generate(req("new"))  # ... so a new key goes to a, although a has more keys
    assert eng.replica_for("new") == a.url
    await eng.close()


async def test_a_failure_before_the_first_token_is_resent_and_the_replica_retried_later(stubs):
    a, b = stubs()
    clock = Clock()
    eng = ReplicaEngine([a.url, b.url], retry_s=10, clock=clock)
    await eng.start()
    await eng.generate(req("k"))
    assert eng.replica_for("k") == a.url
    a.modes[:] = ["500"]
    r = await eng.generate(req("k", "second"))  # a answers 500: the same request goes to b, unseen by the caller
    assert r.text == "hello world" and eng.replica_for("k") == b.url
    out = eng.info()[0]
    assert not out.up and out.retry_in_s == 10 and "answered 500: engine exploded" in out.error
    await eng.generate(req("fresh"))
    assert eng.replica_for("fresh") == b.url and len(a.bodies) == 2  # a is out: not even asked
    clock.now += 10
    await eng.generate(req("later"))  # retry time passed: a is tried again, answers, and is back
    assert eng.replica_for("later") == a.url and eng.info()[0].up and len(a.bodies) == 3
    assert eng.replica_for("k") == b.url  # a moved key stays where it went (its cache is there now)
    await eng.close()


async def test_a_replica_that_is_not_listening_is_out_from_the_start(stubs):
    (b,) = stubs(1)
    dead = closed_port()
    eng = open_engine(f"{dead},{b.url}", retry_s=30)
    await eng.start()
    assert [i.up for i in eng.info()] == [False, True]
    assert eng.info()[0].error == f"llm engine {dead} unreachable: connection refused"
    for key in "abc":
        assert (await eng.generate(req(key))).text == "hello world"
    assert {eng.replica_for(k) for k in "abc"} == {b.url}
    assert eng.replicas[0].engine.model == "stub-model"  # learnt from the replica that answered
    await eng.close()


async def test_a_failure_mid_answer_is_a_retryable_error_and_the_key_moves(stubs):
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    await eng.generate(req("k"))
    a.modes[:] = ["close"]
    gen = eng.submit(req("k", "more"))
    seen = []
    with pytest.raises(EngineError) as info:
        async for tok in gen:
            seen.append(tok.text)
    assert seen == ["hello"]  # one piece came, then the stream broke: it cannot be re-sent unseen
    assert info.value.retryable and info.value.code == "unavailable"
    assert str(info.value).startswith(f"llm engine {a.url} unreachable: connection closed mid-answer")
    assert gen.result.finish_reason == "error" and eng.stats().errors == 1
    assert (await eng.generate(req("k", "more"))).text == "hello world"  # the retry lands on b
    assert eng.replica_for("k") == b.url
    await eng.close()


async def test_when_every_replica_is_down_the_error_names_each_address(stubs):
    dead1, dead2 = closed_port(), closed_port()
    eng = open_engine(f"{dead1},{dead2}")
    with pytest.raises(EngineError) as info:
        await eng.start()
    msg = str(info.value)
    assert info.value.code == "unavailable" and "\n" not in msg
    assert msg.startswith("no llm engine replica available: ")
    assert f"{dead1} (llm engine {dead1} unreachable: connection refused" in msg
    assert f"{dead2} (llm engine {dead2} unreachable: connection refused)" in msg  # no retry: it did not start
    await eng.close()
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    a.modes[:], b.modes[:] = ["500"], ["500"]
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        await eng.generate(req("k"))
    assert a.url in str(info.value) and b.url in str(info.value) and info.value.retryable
    assert f"{a.url} (llm engine {a.url} answered 500: engine exploded; retried in 10 s)" in str(info.value)
    with pytest.raises(EngineError):  # both out: the next call fails at once, asking nobody
        await eng.generate(req("j"))
    assert len(a.bodies) == len(b.bodies) == 1 and time.monotonic() - t0 < 5
    await eng.close()


async def test_a_bad_request_does_not_take_a_replica_out(stubs):
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    a.modes[:] = ["400"]
    with pytest.raises(EngineError) as info:
        await eng.generate(req("k"))
    assert info.value.code == "invalid" and not info.value.retryable
    assert all(i.up for i in eng.info()) and len(b.bodies) == 0  # the request was wrong, not the replica
    await eng.close()


async def test_templated_ids_go_out_as_the_chat_on_any_replica(stubs):
    """The kernel templates messages and submits ids: every replica must read them back as the chat."""
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    msgs = [Message("system", "Be brief."), Message("user", "Hi there")]
    await eng.generate(GenRequest(prompt=eng.apply_template(msgs), max_tokens=4, key="1"))
    await eng.generate(GenRequest(prompt=eng.apply_template(msgs), max_tokens=4, key="2"))
    for s in (a, b):
        assert s.bodies[0]["messages"] == [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Hi there"}]
    await eng.close()


async def test_cancel_before_it_starts_asks_no_replica(stubs):
    a, b = stubs()
    eng = ReplicaEngine([a.url, b.url])
    gen = eng.submit(req("k"))
    gen.cancel()
    assert [t async for t in gen] == [] and gen.result.finish_reason == "cancelled"
    assert a.bodies == b.bodies == []


def test_replica_lists_are_checked_when_read():
    assert parse_spec(" http://a:1 , http://b:2/ ") == ("replicas", "http://a:1,http://b:2", None)
    for bad, why in [("http://a:1,", "entry 2 is empty"), ("http://a:1,embedded", "entry 2 ('embedded') is not"),
                     ("http://a:1,http://a:1", "http://a:1 is listed twice"), ("http://,http://b", "entry 1")]:
        with pytest.raises(EngineError) as info:
            parse_spec(bad)
        assert info.value.code == "invalid" and why in str(info.value)
    assert isinstance(open_engine("http://a:1", retry_s=3), OpenAIEngine)  # one address: a plain engine
    # the kernel passes the network options whatever the spec: an in-process engine ignores them
    assert isinstance(open_engine("scripted", timeout=1, connect_timeout=1, retry_s=3), ScriptedEngine)


async def test_an_engine_that_refuses_says_so_in_one_line():
    dead = closed_port()
    eng = OpenAIEngine(dead)
    with pytest.raises(EngineError) as info:
        await eng.start()
    assert str(info.value) == f"llm engine {dead} unreachable: connection refused"
    await eng.close()


async def test_an_engine_that_accepts_and_never_answers_times_out_on_time(stubs):
    (s,) = stubs(1)
    eng = OpenAIEngine(s.url, timeout=1, connect_timeout=1)
    await eng.start()
    s.modes[:] = ["hang"]
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        await eng.generate(req("k"))
    assert time.monotonic() - t0 < 3
    assert str(info.value) == f"llm engine {s.url} timed out: no answer within 1 s"
    assert info.value.code == "timeout" and info.value.retryable
    await eng.close()


async def test_closing_the_stream_early_frees_the_replica(stubs):
    a, b = stubs()
    a.modes[:], a.answer = ["slow"], ("one", " two", " three")
    eng = ReplicaEngine([a.url, b.url])
    await eng.start()
    gen = eng.submit(req("k"))
    tokens = gen.__aiter__()
    assert (await tokens.__anext__()).text == "one"
    await tokens.aclose()  # as the kernel does when a process is killed mid-answer
    assert gen.result.finish_reason == "cancelled" and eng.info()[0].in_flight == 0
    assert eng.stats().busy_slots == 0 and eng.info()[0].up
    await eng.close()


@pytest.fixture
def silent():
    """A port that accepts connections (the kernel's backlog does) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


async def test_a_port_that_never_answers_is_bounded_by_the_timeout(silent, stubs):
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        await OpenAIEngine(silent, timeout=1).start()
    assert str(info.value) == f"llm engine {silent} timed out: no answer within 1 s"
    (s,) = stubs(1)
    eng = open_engine(f"{silent},{s.url}", timeout=1)
    await eng.start()  # the silent one is out after its timeout; the engine runs on the other
    assert time.monotonic() - t0 < 5
    assert eng.info()[0].error == f"llm engine {silent} timed out: no answer within 1 s" and not eng.info()[0].up
    assert (await eng.generate(req("k"))).text == "hello world" and eng.replica_for("k") == s.url
    await eng.close()
