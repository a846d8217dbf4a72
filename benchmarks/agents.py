"""Agent programs: N processes x K steps (an LLM call over the whole conversation, a tool wait, an
observation), on llmos as an ordinary app and on llama.cpp's llama-server with the same client logic."""
from __future__ import annotations

import functools
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from apps import AppRegistry
from drivers.llm import LlamaEngine
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig

SEED = 22
N_SLOTS, N_CTX = 4, 8192
N_THREADS = int(os.environ.get("LLMOS_BENCH_AGENT_THREADS", "2"))  # decode threads, llmos and llama-server alike
MAX_TOKENS = 24  # per step
KV_STORE_MB = 256  # llmos's saved-KV memory; llama-server's --cache-ram gets the same
KV_SWAP_MB = 4096  # and the disk behind it (the engine's default)
WAIT_S = (0.3, 2.5)  # a tool call's duration, uniform, fixed seed
WORDS = ("river mountain ledger invoice parser window kernel garden shipment sensor lattice harbor engine "
         "folder archive signal market budget orbit compass ticket report cluster canvas meadow bridge "
         "socket thread module vector column record ballot beacon quarry summit timber valley").split()
BACKENDS = {  # name -> how llmos is configured (None: llama-server)
    "llama-server": None,
    "llmos": {"policy": "fifo", "kv_follow": False},
    "llmos+": {"policy": "plas", "kv_follow": True},
}


def backends() -> list[str]:
    """``LLMOS_BENCH_AGENT_BACKENDS=llmos,llmos+`` runs only some of the backends."""
    names = [x.strip() for x in os.environ.get("LLMOS_BENCH_AGENT_BACKENDS", ",".join(BACKENDS)).split(",") if x.strip()]
    unknown = [x for x in names if x not in BACKENDS]
    if unknown:
        raise ValueError(f"unknown agent-bench backend {unknown[0]!r}: use some of {', '.join(BACKENDS)}")
    return names


def sizes() -> tuple[tuple[int, ...], int]:
    """Program counts and steps: ``LLMOS_BENCH_AGENTS=4,16`` and ``LLMOS_BENCH_AGENT_STEPS=3`` make a quick run."""
    counts = tuple(int(x) for x in os.environ.get("LLMOS_BENCH_AGENTS", "4,16,64").split(",") if x.strip())
    return counts, int(os.environ.get("LLMOS_BENCH_AGENT_STEPS", "6"))


def _text(rng: random.Random, n_words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n_words))


def workload(n: int, steps: int, seed: int = SEED) -> dict:
    """The same programs for every backend: a shared system prompt (~400 tokens), a task each, and per
    step a tool wait and an observation (~130 tokens)."""
    rng = random.Random(seed)
    tools = [f"Tool {i} ({rng.choice(WORDS)}): {_text(rng, 22)}." for i in range(12)]
    system = ("You are an agent that solves tasks step by step with tools. After each tool result, say in "
              "one short sentence what you will do next. Tools:\n" + "\n".join(tools))
    programs = [{"task": f"Task {i}: reconcile the {rng.choice(WORDS)} {rng.choice(WORDS)} records.",
                 "waits": [round(rng.uniform(*WAIT_S), 3) for _ in range(steps)],
                 "observations": [f"Tool result {s}: {_text(rng, 85)}." for s in range(steps)]}
                for i in range(n)]
    return {"system": system, "programs": programs, "max_tokens": MAX_TOKENS, "steps": steps}


APP = '''
import json

from syscalls.errors import Timeout

SPEC = json.loads(%r)


async def run(sys, task):
    prog = SPEC["programs"][int(task)]
    messages = [{"role": "system", "content": SPEC["system"]}, {"role": "user", "content": prog["task"]}]
    for wait, observation in zip(prog["waits"], prog["observations"]):
        r = await sys.llm.chat(messages, max_tokens=SPEC["max_tokens"])
        messages.append({"role": "assistant", "content": r.text or "."})
        try:  # the tool call: a wait that nothing ends early
            await sys.proc.recv(timeout=wait)
        except Timeout:
            pass
        messages.append({"role": "user", "content": observation})
    return str(len(messages))
'''


def _app_dir(spec: dict, root: Path) -> Path:
    d = root / "apps" / "agent"
    d.mkdir(parents=True)
    (d / "app.toml").write_text('name = "agent"\nentry = "main:run"\n[permissions]\nsyscalls = ["llm.*", "proc.*"]\n')
    (d / "main.py").write_text(APP % json.dumps(spec))
    return d.parent


def summary(times: list[float], failures: int, sent: int, computed: int, **extra) -> dict:
    s = sorted(times)
    at = lambda q: s[min(len(s) - 1, int(q * len(s)))] if s else 0.0  # noqa: E731
    return {"programs": len(times) + failures, "failures": failures, "mean_s": statistics.fmean(s) if s else 0.0,
            "p50_s": at(0.5), "p95_s": at(0.95), "max_s": s[-1] if s else 0.0, "makespan_s": s[-1] if s else 0.0,
            "prompt_sent": sent, "prompt_computed": computed, "times": s, **extra}


async def run_llmos(spec: dict, *, policy: str, kv_follow: bool, syscall_timeout: float = 120.0,
                    model: str = "") -> dict:
    """Every program as a process of the ``agent`` app at once; completion time from the common start.
    ``model="scripted"`` runs the same plumbing on the scripted engine (for tests)."""
    n = len(spec["programs"])
    with tempfile.TemporaryDirectory(prefix="llmos-agents-") as tmp:
        engine = (open_engine("scripted", n_slots=N_SLOTS, default="ok", token_delay=0.001) if model == "scripted" else
                  open_engine(model, n_slots=N_SLOTS, n_ctx=N_CTX, n_threads=N_THREADS, kv_store_bytes=KV_STORE_MB << 20,
                              kv_swap_dir=str(Path(tmp) / "swap"), kv_swap_bytes=KV_SWAP_MB << 20))
        config = KernelConfig(home=str(Path(tmp) / "home"), subsystems=[], n_slots=N_SLOTS, n_ctx=N_CTX,
                              policy=policy, kv_follow=kv_follow, syscall_timeout=syscall_timeout)
        async with Kernel(config, engine=engine, registry=AppRegistry(extra_dirs=[_app_dir(spec, Path(tmp))])) as k:
            s0 = k.engine.stats()
            t0 = time.time()
            pids = [await k.spawn("agent", str(i)) for i in range(n)]
            procs = [await k.wait(pid) for pid in pids]
            s1 = k.engine.stats()
            store = (k.engine.kv_store_stats() if isinstance(k.engine, LlamaEngine)
                     else {"peak_bytes": 0, "peak_disk_bytes": 0})
            system_tokens = k.engine.count_tokens(spec["system"])
            bypassed = k.sched.max_bypassed
    done = [p for p in procs if p.exit_reason == "exited"]
    errors = sorted({(p.error or p.exit_reason)[:160] for p in procs if p.exit_reason != "exited"})
    return summary([p.ended - t0 for p in done], len(procs) - len(done),
                   s1.prompt_tokens_sent - s0.prompt_tokens_sent, s1.tokens_prefilled - s0.tokens_prefilled,
                   errors=errors, reprefills=s1.reprefills - s0.reprefills,
                   reprefill_tokens=s1.reprefill_tokens - s0.reprefill_tokens,
                   follow_resumes=s1.follow_resumes - s0.follow_resumes,
                   kv_peak_mb=store["peak_bytes"] / 2**20, kv_budget_mb=KV_STORE_MB,
                   kv_disk_peak_mb=store["peak_disk_bytes"] / 2**20, kv_disk_budget_mb=KV_SWAP_MB, max_bypassed=bypassed,
                   ready_mean_s=statistics.fmean(p.usage.ready_seconds for p in procs),
                   system_tokens=system_tokens)


def run_all(model: str, progress=None) -> dict:
    """Every backend at every size; one failing backend is recorded, not fatal."""
    from . import agents_server

    counts, steps = sizes()
    out: dict = {"counts": list(counts), "steps": steps, "slots": N_SLOTS, "n_ctx": N_CTX, "threads": N_THREADS,
                 "max_tokens": MAX_TOKENS, "wait_s": list(WAIT_S), "kv_store_mb": KV_STORE_MB, "results": {}}
    load0 = os.getloadavg()[0]
    for n in counts:
        spec = workload(n, steps)
        for name in backends():
            cfg = BACKENDS[name]
            if progress:
                progress(f"agent programs: {name}, {n} x {steps} steps")
            try:
                if cfg is None:
                    r = agents_server.run(model, spec, slots=N_SLOTS, n_ctx=N_CTX, threads=N_THREADS,
                                          cache_ram_mb=KV_STORE_MB)
                else:
                    r = anyio.run(functools.partial(run_llmos, spec, model=model, **cfg))
            except Exception as exc:  # noqa: BLE001 - recorded in the report
                r = {"skipped": f"{type(exc).__name__}: {str(exc)[:300]}"}
            out["results"].setdefault(name, {})[str(n)] = r
    out["load"] = [load0, os.getloadavg()[0]]
    return out
