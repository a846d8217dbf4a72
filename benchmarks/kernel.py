"""Throughput and overhead through llmos: processes on the kernel, syscalls per second, idle processes."""
from __future__ import annotations

import gc
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from apps import AppRegistry
from drivers.llm import ScriptedEngine
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from kernel.seams import Instrument

APPS = {
    "bench": '''
async def run(sys, task):
    n, i = task.split()
    r = await sys.llm.chat([{"role": "user", "content": "Write a long story about a robot who learns to paint. Once upon a time (story " + i + ")"}],
                           max_tokens=int(n))
    return str(r.tokens_out)
''',
    "calls": '''
import json, time

async def run(sys, task):
    kind, n = task.split()
    lat = []
    for _ in range(int(n)):
        t = time.perf_counter()
        if kind == "ps":
            await sys.proc.ps()
        else:
            await sys.llm.chat("hi", max_tokens=1)
        lat.append(time.perf_counter() - t)
    return json.dumps(lat)
''',
    "idle": '''
async def run(sys, task):
    await sys.proc.recv(timeout=3600)
    return "woken"
''',
}
SYSCALLS = {"bench": ["llm.*"], "calls": ["llm.*", "proc.*"], "idle": ["proc.*"]}
_TMP = tempfile.TemporaryDirectory(prefix="llmos-bench-")  # homes and apps of this run; removed at exit


class TokenClock(Instrument):
    """An instrument that timestamps every token by pid."""

    def __init__(self) -> None:
        self.stamps: dict[int, list[float]] = {}

    def token(self, proc) -> None:
        self.stamps.setdefault(proc.pid, []).append(time.perf_counter())


def _app_dir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="apps-", dir=_TMP.name))
    for name, code in APPS.items():
        d = root / name
        d.mkdir()
        (d / "app.toml").write_text(f'name = "{name}"\nentry = "main:run"\n[permissions]\n'
                                    f'syscalls = {json.dumps(SYSCALLS[name])}\n')
        (d / "main.py").write_text(code)
    return root


def _kernel(engine, **cfg) -> Kernel:
    home = tempfile.mkdtemp(prefix="home-", dir=_TMP.name)
    config = KernelConfig(home=home, subsystems=[], **cfg)
    return Kernel(config, engine=engine, registry=AppRegistry(extra_dirs=[_app_dir()]))


async def through_llmos(n_procs: int, n_tokens: int, *, n_slots: int | None = None) -> dict:
    """Run ``n_procs`` processes at once, each generating ``n_tokens``; ``n_slots=1`` is the naive
    baseline: the same requests served one after another behind one slot."""
    slots = n_slots or max(1, n_procs)
    n_ctx = slots * (n_tokens + 128)
    clock = TokenClock()
    async with _kernel(open_engine("", n_slots=slots, n_ctx=n_ctx), n_slots=slots, n_ctx=n_ctx,
                       policy="fifo", quantum=10**9) as k:
        k.instruments.append(clock)
        t0 = time.perf_counter()
        pids = [await k.spawn("bench", f"{n_tokens} {i}") for i in range(n_procs)]
        for pid in pids:
            p = await k.wait(pid)
            assert p.exit_reason == "exited", p.error
        wall = time.perf_counter() - t0
    stamps = [t for ts in clock.stamps.values() for t in ts]
    all_started = max(ts[0] for ts in clock.stamps.values())
    steady = [t for t in stamps if t > all_started]
    steady_dt = max(steady) - all_started if steady else 0.0
    gaps = [1000 * (b - a) for ts in clock.stamps.values() for a, b in itertools.pairwise(ts)]
    return {"processes": n_procs, "slots": slots, "tokens": len(stamps), "wall_s": wall,
            "tok_s": len(stamps) / wall, "decode_tok_s": len(steady) / steady_dt if steady_dt else 0.0,
            "token_gap_ms": _pcts(gaps)}


def _pcts(xs: list[float]) -> dict:
    if not xs:
        return {}
    s = sorted(xs)
    at = lambda q: s[min(len(s) - 1, int(q * len(s)))]
    return {"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "mean": statistics.fmean(s), "n": len(s),
            "sample": s[:: max(1, len(s) // 400)]}


async def syscall_overhead(n: int = 20000) -> dict:
    """Syscalls/s and latency for ``proc.ps`` and a one-token ``llm.chat`` on the scripted model,
    against the baseline of calling the ``proc.ps`` handler directly (no dispatch, checks or log)."""
    from kernel.proc import sysproc
    from syscalls import proc as p

    out: dict = {}
    async with _kernel(ScriptedEngine(default="ok", n_slots=4)) as k:
        for kind, count in (("ps", n), ("chat", n // 4)):
            pid = await k.spawn("calls", f"{kind} {count}")
            proc = await k.wait(pid)
            assert proc.exit_reason == "exited", proc.error
            lat_ms = [1000 * x for x in json.loads(proc.result)]
            out[kind] = {"calls_s": len(lat_ms) / (sum(lat_ms) / 1000), "latency_ms": _pcts(lat_ms)}
        me = k.ptable.get(pid)
        t0 = time.perf_counter()
        for _ in range(n):
            await sysproc.ps(k, me, p.Ps())
        out["baseline_direct_handler_calls_s"] = n / (time.perf_counter() - t0)
    return out


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def idle_processes(n: int = 1000) -> dict:
    """Spawn ``n`` processes that sleep in ``proc.recv``: spawn rate and resident memory per process,
    against the kernel's own resident size before the spawns."""
    async with _kernel(ScriptedEngine(default="ok")) as k:
        warm = await k.spawn("idle", "")  # import the app module and warm the paths once
        k.signal(warm, "KILL")
        await k.wait(warm)
        gc.collect()
        rss0 = _rss()
        t0 = time.perf_counter()
        pids = [await k.spawn("idle", "") for _ in range(n)]
        spawn_s = time.perf_counter() - t0
        while sum(1 for p in k.ptable if p.state.value == "SLEEPING") < n:
            await anyio.sleep(0.01)
        settle_s = time.perf_counter() - t0
        gc.collect()
        rss1 = _rss()
        t1 = time.perf_counter()
        await k.halt()
        halt_s = time.perf_counter() - t1
        assert all(not k.ptable.get(p).alive for p in pids)
    return {"processes": n, "spawn_per_s": n / spawn_s, "all_sleeping_s": settle_s,
            "rss_before_mb": rss0 / 2**20, "rss_after_mb": rss1 / 2**20,
            "bytes_per_process": (rss1 - rss0) / n, "halt_s": halt_s}
