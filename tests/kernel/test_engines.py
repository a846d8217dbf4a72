"""Several named engines in one kernel: routing at spawn, slots per engine, budgets across engines, ps and top."""
from __future__ import annotations

import time

import anyio
import pytest

from apps import AppRegistry
from drivers.llm import EngineError, ScriptedEngine
from kernel import Kernel, KernelConfig, State
from kernel.api import handlers
from kernel.config import EngineConf
from llmos.format import PS_HEADER, ps_rows, ps_table
from llmos.top.view import COLUMNS, cells, header
from syscalls.errors import InvalidArgument, Unavailable

pytestmark = pytest.mark.anyio

CHAT = """
async def run(sys, task):
    return (await sys.llm.chat(task or "hi", max_tokens=400)).text
"""


def app(root, name, top="", code=CHAT, budgets="", syscalls=("llm.*", "proc.*"), spawn=("*",), priority=20,
        tools=("calculator",)):
    """An app whose manifest has ``top`` lines at its top level (model, min_context)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(
        f'name = "{name}"\nentry = "main:run"\npriority = {priority}\n{top}\n[permissions]\n'
        f'syscalls = {list(syscalls)!r}\nspawn = {list(spawn)!r}\ntools = {list(tools)!r}\n[budgets]\n{budgets}\n'
        .replace("'", '"'))
    (folder / "main.py").write_text(code)
    return folder


@pytest.fixture
def apps_dir(tmp_path):
    return tmp_path / "apps"


def kernel(tmp_path, apps_dir, engines, *, mapping=None, **cfg):
    """A kernel on scripted engines: ``engines["default"]`` and the named ones (their specs in the config too)."""
    named = {n: EngineConf(model="scripted", n_slots=e.n_slots, n_ctx=e.n_ctx) for n, e in engines.items()
             if n != "default"}
    config = KernelConfig(home=str(tmp_path / "home"), subsystems=[], engines=named, app_engines=mapping or {}, **cfg)
    return Kernel(config, engine=engines["default"], engines={n: e for n, e in engines.items() if n != "default"},
                  registry=AppRegistry(extra_dirs=[apps_dir]))


def five(apps_dir):
    app(apps_dir, "plain")
    app(apps_dir, "asker", 'model = "big"')
    app(apps_dir, "mapped", 'model = "big"')  # the person maps it to "small": the person wins
    app(apps_dir, "wide", "min_context = 4000")
    app(apps_dir, "huge", "min_context = 100000")
    app(apps_dir, "lost", 'model = "nope"')


def engines_of_three():
    return {"default": ScriptedEngine(default="from-default", n_slots=4, n_ctx=4096),  # 1024 a process
            "big": ScriptedEngine(default="from-big", n_slots=1, n_ctx=32768),  # 32768
            "small": ScriptedEngine(default="from-small", n_slots=1, n_ctx=4096),  # 4096
            "alpha": ScriptedEngine(default="from-alpha", n_slots=2, n_ctx=8192)}  # 4096: ties with small


async def test_a_process_runs_on_the_engine_routed_to_at_spawn(tmp_path, apps_dir):
    five(apps_dir)
    async with kernel(tmp_path, apps_dir, engines_of_three(), mapping={"mapped": "small"}) as k:
        assert k.engines.names == ["default", "big", "small", "alpha"]
        want = {"plain": ("default", 1024), "asker": ("big", 32768), "mapped": ("small", 4096),
                "wide": ("alpha", 4096)}  # the smallest window of at least 4000; alpha and small tie: by name
        for name, (engine, window) in want.items():
            p = await k.wait(await k.spawn(name, "hi"), timeout=10)
            assert (p.exit_reason, p.result) == ("exited", f"from-{engine}"), name
            assert (p.engine, p.ctx_limit, p.info().engine) == (engine, window, engine), name
            assert p.usage.tokens_out == 1 and k.engines.engine(engine).stats().requests >= 1
        p = await k.wait(await k.spawn("asker", "hi", engine="small"), timeout=10)  # --engine wins over all
        assert (p.engine, p.result) == ("small", "from-small")


async def test_an_engine_no_one_configured_or_a_context_none_gives_is_a_one_line_error(tmp_path, apps_dir):
    five(apps_dir)
    async with kernel(tmp_path, apps_dir, engines_of_three()) as k:
        before = k.ptable.alloc_pid()
        with pytest.raises(InvalidArgument) as e:
            await k.spawn("lost", "hi")
        assert e.value.message == ("app 'lost' (manifest key 'model'): this kernel has no engine 'nope' "
                                   "(engines: default, big, small, alpha)")
        with pytest.raises(Unavailable) as e:
            await k.spawn("huge", "hi")
        assert e.value.message.startswith(
            "app 'huge' needs a context of 100000 tokens (manifest key 'min_context') and no engine gives a process "
            "that many (default: 1024, big: 32768, small: 4096, alpha: 4096)")
        with pytest.raises(InvalidArgument) as e:
            await k.spawn("plain", "hi", engine="nope")
        assert e.value.message.startswith("--engine nope: this kernel has no engine 'nope'")
        assert k.ptable.alloc_pid() == before + 1  # no pid was spent on a refused spawn
        assert not [p for p in k.ptable if p.app in ("lost", "huge")]
    config = KernelConfig(home=str(tmp_path / "h2"), subsystems=[], app_engines={"plain": "gone"})
    async with Kernel(config, engine=ScriptedEngine(default="x"), registry=AppRegistry(extra_dirs=[apps_dir])) as k:
        with pytest.raises(InvalidArgument) as e:
            await k.spawn("plain", "hi")
        assert e.value.message.startswith("[apps] plain = 'gone': this kernel has no engine 'gone'")


async def test_a_busy_engine_does_not_hold_up_a_process_on_another(tmp_path, apps_dir):
    app(apps_dir, "hog", 'model = "slow"')
    app(apps_dir, "quick", 'model = "fast"')
    slow = ScriptedEngine(default=" ".join(["w"] * 200), n_slots=1, token_delay=0.02)  # 4 s a reply
    fast = ScriptedEngine(default="done", n_slots=1)
    async with kernel(tmp_path, apps_dir, {"default": ScriptedEngine(default="x"), "slow": slow, "fast": fast}) as k:
        first, second = await k.spawn("hog", "a"), await k.spawn("hog", "b")
        with anyio.fail_after(5):
            while k.engines.core("slow").sched.busy < 1 or k.engines.core("slow").sched.queued < 1:
                await anyio.sleep(0.01)
        t0 = time.monotonic()
        q = await k.wait(await k.spawn("quick", ""), timeout=2)
        assert (q.exit_reason, q.result, q.engine) == ("exited", "done", "fast") and time.monotonic() - t0 < 1.5
        hogs = [k.ptable.get(first), k.ptable.get(second)]
        assert sorted(p.state.value for p in hogs) == ["READY", "RUNNING"]  # the slow engine's one slot: busy
        assert k.engines.core("fast").sched.grants == [q.pid]
        assert k.engines.core("default").sched.grants == []  # neither engine's work went through the default


async def test_budgets_and_llm_time_count_per_process_across_engines(tmp_path, apps_dir):
    app(apps_dir, "kid", code="""
async def run(sys, task):
    return (await sys.llm.chat("x", max_tokens=50)).text
""")
    app(apps_dir, "parent", budgets="tokens = 1000\nllm_seconds = 50", code="""
async def run(sys, task):
    mine = (await sys.llm.chat("x", max_tokens=50)).text
    res = await sys.proc.wait(await sys.proc.spawn("kid", ""))
    return mine + "|" + res.result
""")
    app(apps_dir, "slowpoke", 'model = "b"', budgets="llm_seconds = 0.2", code="""
async def run(sys, task):
    for _ in range(5):
        await sys.llm.chat("x", max_tokens=50)
    return "never"
""")
    engines = {"default": ScriptedEngine(default="x"), "a": ScriptedEngine(default="one two three"),
               "b": ScriptedEngine(default=" ".join(["w"] * 20), token_delay=0.02)}
    async with kernel(tmp_path, apps_dir, engines, mapping={"parent": "a", "kid": "b"}) as k:
        pid = await k.spawn("parent", "")
        p = await k.wait(pid, timeout=10)
        kid = next(q for q in k.ptable.reaped.values() if q.ppid == pid)
        assert (p.engine, kid.engine) == ("a", "b") and p.result == "one two three|" + " ".join(["w"] * 20)
        assert kid.budgets.tokens == 1000 - p.usage.tokens_in - p.usage.tokens_out  # carved from what a's call left
        assert p.usage.children_tokens == kid.usage.tokens > 20  # b's tokens charged to the parent on a
        assert 0 < kid.budgets.llm_seconds <= 50 - p.usage.llm_seconds + 1e-9  # and its LLM time carved as well
        assert kid.usage.llm_seconds >= 20 * 0.02 * 0.9  # its time on b is its own
        s = await k.wait(await k.spawn("slowpoke", ""), timeout=10)  # on b, over its LLM time: ended at the next call
        assert (s.engine, s.exit_reason, s.exit_status) == ("b", "budget:llm_seconds", 152)
        assert s.usage.llm_seconds > 0.2 and s.usage.steps == 1


async def test_a_waiting_parent_lends_its_priority_to_a_child_on_another_engine(tmp_path, apps_dir):
    app(apps_dir, "boss", priority=5, code="""
async def run(sys, task):
    return (await sys.proc.wait(await sys.proc.spawn("worker", ""))).result
""")
    app(apps_dir, "worker", priority=30)
    engines = {"default": ScriptedEngine(default="x"),
               "b": ScriptedEngine(default=" ".join(["w"] * 100), token_delay=0.02)}
    async with kernel(tmp_path, apps_dir, engines, mapping={"worker": "b"}) as k:
        pid = await k.spawn("boss", "")
        sched = k.engines.core("b").sched
        with anyio.fail_after(5):
            while not (kids := k.ptable.children(pid)) or kids[0].state != State.RUNNING:
                await anyio.sleep(0.01)
        assert kids[0].engine == "b" and sched.priority(kids[0]) == 5  # the boss's 5, on the worker's engine
        await k.wait(pid, timeout=10)
        assert sched.priority(kids[0]) == 30  # lent only while the boss waited


async def test_ps_top_and_the_api_show_each_process_engine(tmp_path, apps_dir):
    app(apps_dir, "plain")
    app(apps_dir, "asker", 'model = "big"')
    engines = {"default": ScriptedEngine(default="x"), "big": ScriptedEngine(default="y", n_slots=8, n_ctx=65536)}
    async with kernel(tmp_path, apps_dir, engines) as k:
        a = await k.wait(await k.spawn("plain", ""), timeout=10)
        b = await k.wait(await k.spawn("asker", ""), timeout=10)
        rows = [handlers.row(k, p, time.monotonic()) for p in (a, b)]
        assert [r.engine for r in rows] == ["default", "big"]
        assert [dict(zip(PS_HEADER, r))["ENGINE"] for r in ps_rows(rows)] == ["default", "big"]
        table = ps_table(rows).splitlines()
        assert table[0].split()[:5] == ["PID", "PPID", "APP", "ENGINE", "STATE"]
        assert table[2].split()[2:5] == ["asker", "big", "EXITED"]
        assert [dict(zip(COLUMNS, cells(r)))["ENGINE"] for r in rows] == ["default", "big"]
        stats = handlers.stats(k)
        assert [(e.name, e.slots_total, e.context) for e in stats.engines] == [("default", 4, 1024), ("big", 8, 8192)]
        assert (stats.model, stats.slots_total) == ("scripted", 4)  # the top-level fields stay the default's
        top = header(stats, rows)
        assert "LLM slots default 0/4 (queue 0), big 0/8 (queue 0)" in top
        assert [ev["engine"] for ev in k.events.for_pid(b.pid) if ev["kind"] == "proc.spawn"] == ["big"]


async def test_every_engine_starts_at_boot_and_closes_at_shutdown_and_one_that_fails_stops_the_boot(tmp_path, apps_dir):
    closed = []

    class Closing(ScriptedEngine):
        def __init__(self, name, **kw):
            super().__init__(**kw)
            self.tag = name

        async def close(self):
            closed.append(self.tag)

    async with kernel(tmp_path, apps_dir, {"default": Closing("default"), "big": Closing("big")}) as k:
        assert [c.name for c in k.engines] == ["default", "big"]
    assert closed == ["default", "big"]
    closed.clear()
    config = KernelConfig(home=str(tmp_path / "h2"), subsystems=[],
                          engines={"big": EngineConf(model=str(tmp_path / "none.gguf"))})
    with pytest.raises(EngineError) as e:
        async with Kernel(config, engine=Closing("default")):
            pass
    assert str(e.value) == f"engine 'big' ({tmp_path / 'none.gguf'}): model file not found: {tmp_path / 'none.gguf'}"
    assert closed == ["default"]  # the one that had started was closed again


async def test_an_injected_model_fault_reaches_a_process_on_a_named_engine(tmp_path, apps_dir):
    app(apps_dir, "asker", 'model = "big"')
    engines = {"default": ScriptedEngine(default="x"), "big": ScriptedEngine(default="y")}
    named = {"big": EngineConf(model="scripted")}
    config = KernelConfig(home=str(tmp_path / "home"), subsystems=["faults"], engines=named,
                          faults="llm.submit=fatal*1", retries=0)
    async with Kernel(config, engine=engines["default"], engines={"big": engines["big"]},
                      registry=AppRegistry(extra_dirs=[apps_dir])) as k:
        p = await k.wait(await k.spawn("asker", ""), timeout=10)
        assert p.engine == "big" and p.exit_reason == "error" and "injected fault at llm.submit" in p.error
        assert k.faults.faults["llm.submit"].fired == 1
        again = await k.wait(await k.spawn("asker", ""), timeout=10)
        assert again.result == "y"


async def test_an_unreachable_engine_server_stops_the_boot_in_one_line_that_names_it(tmp_path, apps_dir):
    config = KernelConfig(home=str(tmp_path / "home"), subsystems=[],
                          engines={"big": EngineConf(model="http://127.0.0.1:9")})  # nothing listens on port 9
    with anyio.fail_after(30), pytest.raises(EngineError) as e:
        async with Kernel(config, engine=ScriptedEngine(default="x")):
            pass
    msg = str(e.value)
    assert msg.startswith("engine 'big' (http://127.0.0.1:9): ") and "127.0.0.1:9" in msg[36:] and "\n" not in msg


async def test_scoring_and_kv_hints_go_to_the_process_engine(tmp_path, apps_dir):
    app(apps_dir, "ranker", 'model = "big"', syscalls=("llm.*", "tool.*"), code="""
async def run(sys, task):
    first = (await sys.llm.chat("warm up", max_tokens=8)).text
    await sys.tool.call("calculator", expression="1 + 1")  # a syscall between two model calls: a KV hint
    best = await sys.llm.score([{"role": "user", "content": "pick"}], ["a", "b c"])
    return first + "|" + ",".join(str(v) for v in best.logprobs)
""")

    class Hinted(ScriptedEngine):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.paused: list[str] = []

        def kv_pause(self, key, idle_s):
            self.paused.append(key)

    default, big = Hinted(default="x"), Hinted(default="y", scorer=lambda prompt, c: -0.5 * len(c))
    async with kernel(tmp_path, apps_dir, {"default": default, "big": big}) as k:
        p = await k.wait(await k.spawn("ranker", ""), timeout=10)
        assert (p.exit_reason, p.engine, p.result) == ("exited", "big", "y|-0.5,-1.5"), p.error
        assert len(big.score_requests) == 1 and default.score_requests == []
        assert big.paused == [str(p.pid)] and default.paused == []
        assert k.engines.core("big").sched.grants == [p.pid, p.pid]  # the chat and the score, both on big's slots
