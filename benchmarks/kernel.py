"""Throughput through llmos: processes on the kernel versus bare llama.cpp and a serialized baseline."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import anyio

from apps import AppRegistry
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig

APP = '''name = "bench"
entry = "main:run"
[permissions]
syscalls = ["llm.*"]
'''
CODE = '''
async def run(sys, task):
    n, i = task.split()
    r = await sys.llm.chat([{"role": "user", "content": "Write a long story about a robot who learns to paint. Once upon a time (story " + i + ")"}],
                           max_tokens=int(n))
    return str(r.tokens_out)
'''


class TokenClock:
    """An instrument that timestamps every token by pid."""

    def __init__(self) -> None:
        self.stamps: dict[int, list[float]] = {}

    def token(self, proc) -> None:
        self.stamps.setdefault(proc.pid, []).append(time.perf_counter())


def _app_dir() -> Path:
    d = Path(tempfile.mkdtemp(prefix="llmos-bench-")) / "bench"
    d.mkdir()
    (d / "app.toml").write_text(APP)
    (d / "main.py").write_text(CODE)
    return d.parent


async def through_llmos(n_procs: int, n_tokens: int, *, n_slots: int | None = None) -> dict:
    """Run ``n_procs`` processes at once, each generating ``n_tokens``; ``n_slots=1`` is the naive
    baseline: the same requests served one after another behind one slot."""
    slots = n_slots or max(1, n_procs)
    home = tempfile.mkdtemp(prefix="llmos-bench-home-")
    cfg = KernelConfig(home=home, n_slots=slots, n_ctx=slots * (n_tokens + 128), policy="fifo", quantum=10**9)
    clock = TokenClock()
    async with Kernel(cfg, engine=open_engine("", n_slots=slots, n_ctx=cfg.n_ctx),
                      registry=AppRegistry(extra_dirs=[_app_dir()])) as k:
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
    return {"processes": n_procs, "slots": slots, "tokens": len(stamps), "wall_s": wall,
            "tok_s": len(stamps) / wall, "decode_tok_s": len(steady) / steady_dt if steady_dt else 0.0}
