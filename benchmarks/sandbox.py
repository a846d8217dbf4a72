"""Sandbox benchmark: warm-pool exec latency against a cold docker run, and container start rate."""
# Run as `python -m benchmarks.sandbox` from the repository root (run as a script, this
# file would shadow the `sandbox` package).
from __future__ import annotations

import json
import statistics
import time

import anyio

CODE = "print(sum(range(1000)))"


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


async def _bench(n: int, pool_size: int) -> dict:
    from sandbox import Sandbox, policy
    from sandbox import exec as sbexec

    sb = Sandbox(kernel_id="bench", pool_size=pool_size)
    await sb.start(wait_warm=True)
    pool = sb._pool
    api = pool.api
    try:
        warm: list[float] = []
        bad = 0  # runs whose output did not arrive intact (should stay 0)
        for _ in range(n):
            # measure the steady state the pool is meant for: a warm container is there
            await anyio.to_thread.run_sync(pool.wait_warm, 60)
            t = time.perf_counter()
            r = await sb.exec("bench", "python", CODE)
            warm.append(time.perf_counter() - t)
            bad += r.stdout != "499500\n"

        def cold_once() -> float:
            nonlocal bad
            # what a sandbox without a pool pays: create + start + exec + remove
            t = time.perf_counter()
            cid = pool.create(sb.limits, "bench", "exec")
            argv, files = sbexec.command_for("python", CODE)
            state = sbexec.RunState(api, cid)
            r = sbexec.run(api, cid, argv, files=files, limits=sb.limits, collect=None,
                           state=state, local=True)
            api.remove_container(cid, force=True, v=True)
            bad += r.stdout != "499500\n"
            return time.perf_counter() - t

        await anyio.to_thread.run_sync(pool.wait_warm, 60)
        cold = [await anyio.to_thread.run_sync(cold_once) for _ in range(n)]

        def start_rate(k: int) -> float:
            t = time.perf_counter()
            ids = [pool.create(policy.DEFAULT, "bench", "exec") for _ in range(k)]
            dt = time.perf_counter() - t
            for cid in ids:
                pool.remove(cid)
            return k / dt

        rate = await anyio.to_thread.run_sync(start_rate, max(5, n // 2))
    finally:
        await sb.close()
    res = {
        "n": n,
        "warm_p50_ms": round(_pct(warm, 50) * 1000, 1),
        "warm_p95_ms": round(_pct(warm, 95) * 1000, 1),
        "warm_mean_ms": round(statistics.mean(warm) * 1000, 1),
        "cold_p50_ms": round(_pct(cold, 50) * 1000, 1),
        "cold_p95_ms": round(_pct(cold, 95) * 1000, 1),
        "cold_mean_ms": round(statistics.mean(cold) * 1000, 1),
        "containers_started_per_s": round(rate, 2),
        "bad_outputs": bad,
    }
    res["speedup_p50"] = round(res["cold_p50_ms"] / res["warm_p50_ms"], 2)
    res["targets_met"] = res["speedup_p50"] >= 5 and res["warm_p50_ms"] <= 100
    return res


def bench_sandbox(n: int = 30, pool_size: int = 2) -> dict:
    """Run the benchmark against the local engine; returns a flat dict of numbers (ms, ratios)."""
    return anyio.run(_bench, n, pool_size)


def section(console) -> str:
    """`make bench`'s sandbox part: a table on the console, markdown for docs/benchmarks.md."""
    from sandbox import SandboxError

    try:
        with console.status("sandbox: warm pool vs cold docker run"):
            r = bench_sandbox()
    except SandboxError as exc:
        console.print(f"sandbox benchmark skipped: {exc}")
        return f"\n## Sandbox\n\nNot measured: {exc}\n"
    rows = [
        ("warm-pool exec, p50 / p95 (ms)", f"{r['warm_p50_ms']} / {r['warm_p95_ms']}",
         f"{r['speedup_p50']}x faster than cold (target >= 5x, p50 <= 100 ms)"),
        ("cold docker run, p50 / p95 (ms)", f"{r['cold_p50_ms']} / {r['cold_p95_ms']}", "baseline"),
        ("containers started per second", f"{r['containers_started_per_s']}", ""),
    ]
    from rich.table import Table

    t = Table(title=f"Sandbox exec latency, {r['n']} runs of `{CODE}`")
    for c in ("measure", "value", "ratio"):
        t.add_column(c)
    for row in rows:
        t.add_row(*row)
    console.print(t)
    md = ["| measure | value | ratio |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n## Sandbox\n\n" + "\n".join(md) + f"\n\nTargets met: {r['targets_met']}; " \
        f"outputs wrong: {r['bad_outputs']}.\n"


if __name__ == "__main__":
    print(json.dumps(bench_sandbox(), indent=2))
