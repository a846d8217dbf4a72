"""``make bench``: every benchmark in one run, with a progress display; writes docs/benchmarks.md and its plots."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading
import time
import traceback
from pathlib import Path

import anyio
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from drivers.llm import default_model_path
from drivers.llm.weights import requantized

from . import agents, agents_report, others, report
from . import kernel as kbench
from . import llm as lbench

console = Console()
N_TOKENS = 64
COUNTS = (1, 2, 4, 8, 16, 32)
FORMAT_BATCHES = (1, 8, 16)  # the same model as shipped (Q4_1) and converted to Q8_0
DOCS = Path(__file__).resolve().parent.parent / "docs"


def machine() -> dict:
    import llama_cpp
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    mem = Path("/proc/meminfo").read_text().splitlines()
    ram = next((int(ln.split()[1]) for ln in mem if ln.startswith("MemTotal")), 0)
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram / 2**20, "os": f"{platform.system()} {platform.release()}",
            "python": sys.version.split()[0], "llama_cpp": f"llama-cpp-python {llama_cpp.__version__}",
            "model": "SmolLM2-135M-Instruct Q4_1 (embedded)"}


def in_thread(fn, *args):
    """Run ``fn`` in a fresh thread, as the engine runs its decode loop: the bare baselines make
    their llama.cpp calls from a worker thread too (from the main thread they measured up to 2x
    slower on a loaded machine), so both sides of each ratio run the same way."""
    out: dict = {}

    def target() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out["error"] = exc
    t = threading.Thread(target=target, name="bench-baseline")
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def plan(model: str) -> list[tuple[str, object]]:
    """(label, thunk) in run order; a thunk returns (path in results, value).  The three throughput
    figures of one process count are measured back to back, so load drifting on a shared machine
    moves them together."""
    steps: list[tuple[str, object]] = []
    for n in COUNTS:
        steps.append((f"ceiling: bare llama.cpp, batch {n}",
                      lambda n=n: (("throughput", "bare", str(n)), in_thread(lbench.bare_ceiling, model, n, N_TOKENS))))
        steps.append((f"llmos: {n} processes", lambda n=n: (("throughput", "llmos", str(n)), _llmos(n))))
        steps.append((f"naive: {n} requests on one slot",
                      lambda n=n: (("throughput", "naive", str(n)),
                                   anyio.run(lambda: kbench.through_llmos(n, N_TOKENS, n_slots=1)))))
    q8 = lambda: requantized(model, "q8_0")  # noqa: E731 - converted (or found in the cache) when first run
    for n in FORMAT_BATCHES:  # the two formats back to back at each batch size
        steps.append((f"weights: Q4_1 as shipped, batch {n}",
                      lambda n=n: (("formats", "shipped", str(n)), in_thread(lbench.bare_ceiling, model, n, N_TOKENS))))
        steps.append((f"weights: Q8_0, batch {n}",
                      lambda n=n: (("formats", "q8_0", str(n)), in_thread(lbench.bare_ceiling, q8(), n, N_TOKENS))))
    steps.append(("single stream: bare llama-cpp-python",
                  lambda: (("single", "bare_python"), in_thread(lbench.bare_python_single, model, N_TOKENS)["tok_s"])))
    steps.append(("single stream: llmos, 1 process", lambda: (("single", "llmos"), _llmos(1)["tok_s"])))
    steps.append(("KV restore vs re-prefill at 256, 1k, 4k tokens",
                  lambda: (("kv",), in_thread(lbench.kv_switch, model))))
    steps.append(("prefix cache: hit vs miss TTFT", lambda: (("prefix",), anyio.run(lbench.prefix_ttft, model))))
    steps.append(("kernel: syscalls/s, scripted model", lambda: (("syscalls",), anyio.run(kbench.syscall_overhead))))
    steps.append(("kernel: 1,000 idle processes", lambda: (("idle",), anyio.run(kbench.idle_processes))))
    steps.append(("agent programs: llama-server, llmos, llmos+ (benchmarks/agents.py)",
                  lambda: (("agents",), agents.run_all(model, progress=console.log))))
    for name in others.SECTIONS:
        steps.append((f"{name} (its own benchmark)", lambda name=name: (("others", name), others.run(name))))
    return steps


def _llmos(n: int) -> dict:
    r = anyio.run(lambda: kbench.through_llmos(n, N_TOKENS))
    return {**r, "tok_s": r["decode_tok_s"], "wall_tok_s": r["tok_s"]}


def _put(results: dict, path: tuple, value: object) -> None:
    d = results
    for key in path[:-1]:
        d = d.setdefault(key, {})
    d[path[-1]] = value


def agents_only() -> int:
    """``python -m benchmarks agents``: only the agent-programs section, written into docs/benchmarks.md."""
    model = default_model_path()
    a = agents.run_all(model, progress=console.log)
    doc = agents_report.update(DOCS / "benchmarks.md", a)
    console.print(f"wrote the agent-programs section of {doc}")
    return 0


def main() -> int:
    if sys.argv[1:] == ["agents"]:
        return agents_only()
    if sys.argv[1:2] == ["compare"] and len(sys.argv) in (3, 4):
        from . import compare
        return compare.recheck(sys.argv[2]) if sys.argv[3:] == ["recheck"] else compare.main(sys.argv[2])
    started = time.time()
    model = default_model_path()
    results: dict = {"date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(started)), "machine": machine(),
                     "errors": {}, "timings": {}}
    load0 = os.getloadavg()[0]
    steps = plan(model)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("benchmarks", total=len(steps))
        for label, thunk in steps:
            progress.update(task, description=label)
            t0 = time.perf_counter()
            try:
                path, value = thunk()
                _put(results, path, value)
            except Exception as exc:  # noqa: BLE001 - one failing section must not lose the others
                results["errors"][label] = f"{type(exc).__name__}: {exc}"
                console.print(f"[red]{label} failed[/red]: {exc}")
                traceback.print_exc()
            results["timings"][label] = time.perf_counter() - t0
            progress.advance(task)
    tp = results.get("throughput", {})
    tp.update({"n": list(COUNTS), "n_tokens": N_TOKENS})
    for key in ("bare", "llmos", "naive"):
        tp.setdefault(key, {})
    single = results.get("single", {})
    if "1" in tp["bare"] and {"llmos", "bare_python"} <= set(single):
        single["bare_c"] = tp["bare"]["1"]["tok_s"]
    else:
        results.pop("single", None)
    results["throughput"] = tp if all(tp[k] for k in ("bare", "llmos", "naive")) else None
    results["load"] = (load0, os.getloadavg()[0])
    results["seconds"] = time.time() - started
    raw = Path(os.environ.get("LLMOS_BENCH_JSON", "/tmp/llmos-bench-results.json"))
    raw.write_text(json.dumps(results))  # everything, samples included: report.write can redraw from it
    doc = report.write(results, DOCS)
    console.print(f"wrote {doc} in {results['seconds'] / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
