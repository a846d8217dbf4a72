"""Benchmark the rules engine: p50/p99 decision time at 10 and 1,000 rules."""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernel.rules import Call, RulesEngine, parse_rules
from kernel.rules.names import KNOWN_SYSCALLS

NAMES = sorted(KNOWN_SYSCALLS)
APPS = [f"app{i}" for i in range(25)]


def _rule(i: int, rng: random.Random, name: str | None = None) -> str:
    effect = rng.choice(["allow", "allow", "deny", "ask"])
    name = name or rng.choice(NAMES + ["fs.*", "browser.*", "tool.*"])
    lines = ["[[rule]]", f'id = "r{i}"', f'effect = "{effect}"', f'match = ["{name}"]']
    if rng.random() < 0.6:
        lines.append(f'app = ["{rng.choice(APPS)}"]')
    kind = rng.randrange(5)
    if kind == 0:
        lines.append(f'args.path = "~/dir{rng.randrange(50)}/**"')
    elif kind == 1:
        lines.append(f'args.url = {{ domain = ["*.site{rng.randrange(50)}.example"] }}')
    elif kind == 2:
        lines.append(f'args.amount = {{ gt = {rng.randrange(1000)} }}')
    elif kind == 3:
        lines.append(f'args.text = {{ regex = "(?i)secret{rng.randrange(50)}" }}')
    else:
        lines.append("derived_from_untrusted = true")
    return "\n".join(lines) + "\n"


def make_engine(n: int, seed: int = 1, same_name: str | None = None) -> RulesEngine:
    rng = random.Random(seed)
    text = "\n".join(_rule(i, rng, same_name) for i in range(n))
    return RulesEngine([parse_rules(text, source=f"bench{n}.toml")])


def make_calls(k: int, seed: int = 2, name: str | None = None) -> list[Call]:
    rng = random.Random(seed)
    calls = []
    for _ in range(k):
        args = {"path": f"~/dir{rng.randrange(60)}/f.txt", "url": f"https://www.site{rng.randrange(60)}.example/p",
                "amount": rng.randrange(2000), "text": f"hello secret{rng.randrange(80)} world"}
        calls.append(Call(name=name or rng.choice(NAMES), args=args, app=rng.choice(APPS),
                          untrusted_args=["text"] if rng.random() < 0.2 else []))
    return calls


def _measure(engine: RulesEngine, calls: list[Call], rounds: int) -> dict[str, float]:
    for c in calls:  # warm the (name, app, user) candidate cache
        engine.decide(c)
    samples = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for c in calls:
            t0 = clock()
            engine.decide(c)
            samples.append(clock() - t0)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] / 1000
    return {"p50_us": round(pick(0.50), 2), "p99_us": round(pick(0.99), 2),
            "mean_us": round(statistics.fmean(samples) / 1000, 2), "n": len(samples)}


def run(rounds: int = 20, n_calls: int = 500) -> dict[str, dict[str, float]]:
    """p50/p99 per decision: 10 and 1,000 mixed rules, and 1,000 rules on one syscall."""
    out = {}
    for n in (10, 1000):
        out[f"{n}_rules"] = _measure(make_engine(n), make_calls(n_calls), rounds)
        out[f"{n}_rules"]["load_ms"] = round(_load_ms(n), 1)
    same = make_engine(1000, same_name="tool.call")
    out["1000_rules_one_syscall"] = _measure(same, make_calls(n_calls, name="tool.call"),
                                             max(1, rounds // 4))
    # Worst case: every rule covers the call and none matches, so all are evaluated.
    miss = [Call(name="tool.call", app=a, args={"path": "~/elsewhere/f", "url": "https://other.example/",
                                                "amount": -1, "text": "nothing to see"}) for a in APPS]
    out["1000_rules_one_syscall_no_match"] = _measure(same, miss, max(1, rounds))
    return out


async def _dispatch_us(subsystems: list[str], n: int) -> float:
    """Median µs of one ``fs.stat`` syscall through the kernel's dispatch, with or without the rules."""
    import tempfile

    import anyio

    from apps import AppRegistry
    from drivers.llm import ScriptedEngine
    from kernel import Kernel, KernelConfig
    from kernel.syscall.dispatch import dispatch
    from syscalls import fs

    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "apps" / "idle"
        app.mkdir(parents=True)
        (app / "app.toml").write_text('name = "idle"\nentry = "main:run"\n[permissions]\nsyscalls = ["*"]\nfiles = ["**"]\n')
        (app / "main.py").write_text("async def run(sys, task):\n    await sys.proc.recv()\n")
        cfg = KernelConfig(home=str(Path(tmp) / "home"), subsystems=subsystems, log_level="warning")
        async with Kernel(cfg, engine=ScriptedEngine(), registry=AppRegistry(extra_dirs=[app.parent])) as k:
            proc = k.ptable.get(await k.spawn("idle", ""))
            await anyio.sleep(0.01)
            proc.workspace.write("f.txt", "x")
            req, samples = fs.Stat(path="f.txt"), []
            for _ in range(n):
                t0 = time.perf_counter_ns()
                await dispatch(k, proc, req)
                samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


def dispatch_overhead(n: int = 2000) -> dict[str, float]:
    """The whole gate per syscall (call building, taint check, decision, audit event) vs no rules."""
    import anyio
    bare = anyio.run(_dispatch_us, [], n)
    ruled = anyio.run(_dispatch_us, ["rules"], n)
    return {"bare_us": round(bare, 1), "rules_us": round(ruled, 1), "ratio": round(ruled / bare, 2)}


def _load_ms(n: int) -> float:
    t0 = time.perf_counter()
    make_engine(n)
    return (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))


def section(console=None) -> str:
    """The `make bench` lines: p50/p99 per decision at 10 and 1,000 rules, as markdown."""
    r = run(rounds=10, n_calls=500)
    base = r["10_rules"]["p50_us"] or 1e-9
    rows = [(f"{label}", f"{r[key]['p50_us']:.1f}", f"{r[key]['p99_us']:.1f}",
             f"{r[key]['p50_us'] / base:.2f}x 10 rules" + (" (target p50 <= 50 us)" if key == "1000_rules" else ""))
            for key, label in (("10_rules", "10 rules, mixed syscalls"), ("1000_rules", "1,000 rules, mixed syscalls"),
                               ("1000_rules_one_syscall", "1,000 rules all on tool.call"),
                               ("1000_rules_one_syscall_no_match", "worst case: 1,000 rules on tool.call, all evaluated, none matches"))]
    d = dispatch_overhead()
    rows.append(("one syscall through dispatch, default rules (p50)", f"{d['rules_us']:.1f}", "",
                 f"{d['ratio']:.2f}x the same syscall without rules ({d['bare_us']:.1f} us)"))
    if console is not None:
        from rich.table import Table
        t = Table(title="Rules engine: cost of one decision")
        for c in ("measure", "p50 us", "p99 us", "ratio"):
            t.add_column(c)
        for row in rows:
            t.add_row(*row)
        console.print(t)
    md = ["| measure | p50 µs | p99 µs | ratio |", "|---|---|---|---|"]
    md += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(md)
