"""``make bench-compare OLD=REV``: the whole benchmark at an older commit and at this checkout in one run, and
every same-run ratio of the two side by side (docs/benchmarks-compare.md)."""
from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks-compare.md"
NOISE = 0.10  # a ratio that moved less than this between the two runs is within this machine's run-to-run noise

# (name, higher is better, how to read it from one run's raw results); a figure a run lacks is left out
Figure = tuple[str, bool, Callable[[dict], float]]


def _figures(r: dict) -> Iterator[Figure]:
    tp = r.get("throughput") or {}
    for n in tp.get("n", []):
        k = str(n)
        yield (f"llmos / bare llama.cpp decode, {n} processes", True,
               lambda r, k=k: r["throughput"]["llmos"][k]["tok_s"] / r["throughput"]["bare"][k]["tok_s"])
        yield (f"llmos / naive one-slot server, {n} processes", True,
               lambda r, k=k: r["throughput"]["llmos"][k]["wall_tok_s"] / r["throughput"]["naive"][k]["tok_s"])
    yield ("single stream: llmos / bare llama-cpp-python", True,
           lambda r: r["single"]["llmos"] / r["single"]["bare_python"])
    for i, kv in enumerate(r.get("kv") or []):
        yield (f"KV restore from memory vs re-prefill, {kv['tokens']} tokens", True,
               lambda r, i=i: r["kv"][i]["reprefill_s"] / r["kv"][i]["resume_memory_s"])
    yield ("prefix cache: miss / hit time to first token", True,
           lambda r: statistics.median(r["prefix"]["miss_ttft_s"]) / statistics.median(r["prefix"]["hit_ttft_s"]))
    yield ("llm.chat syscalls/s / direct handler calls/s (scripted model)", True,
           lambda r: r["syscalls"]["chat"]["calls_s"] / r["syscalls"]["baseline_direct_handler_calls_s"])
    yield ("proc.ps syscalls/s / direct handler calls/s", True,
           lambda r: r["syscalls"]["ps"]["calls_s"] / r["syscalls"]["baseline_direct_handler_calls_s"])
    yield ("sandbox: cold / warm container p50", True, lambda r: r["others"]["sandbox"]["speedup_p50"])
    yield ("browser: open / bare page.goto p50", False,
           lambda r: r["others"]["browser"]["actions"]["open"]["p50_ms"]
           / r["others"]["browser"]["actions"]["baseline_bare_goto"]["p50_ms"])
    yield ("OpenAI API: 8 HTTP streams / 8 in-kernel processes", True,
           lambda r: r["others"]["openai_api"]["throughput"]["ratio"])
    yield ("OpenAI API: HTTP / in-kernel p50 latency (scripted model)", False,
           lambda r: r["others"]["openai_api"]["overhead"]["http_p50_ms"]
           / r["others"]["openai_api"]["overhead"]["in_kernel_p50_ms"])
    agents = (r.get("agents") or {}).get("results", {})
    for backend in ("llmos", "llmos+"):
        for n in agents.get(backend, {}):
            yield (f"agent programs: {backend} / llama-server mean completion, {n} programs", False,
                   lambda r, b=backend, n=n: r["agents"]["results"][b][n]["mean_s"]
                   / r["agents"]["results"]["llama-server"][n]["mean_s"])


def ratios(r: dict) -> dict[str, tuple[float, bool]]:
    """Every same-run ratio one run's raw results hold: name -> (value, higher is better)."""
    out = {}
    for name, higher, read in _figures(r):
        try:
            out[name] = (read(r), higher)
        except (KeyError, TypeError, ZeroDivisionError, ValueError, IndexError, statistics.StatisticsError):
            continue  # a section that failed, was skipped or did not exist at that commit
    return out


def verdict(old: float, new: float, higher: bool) -> str:
    change = (new / old if higher else old / new) - 1 if old and new else 0.0
    if abs(change) < NOISE:
        return "same (within noise)"
    return f"better ({change:+.0%})" if change > 0 else f"**worse ({change:+.0%})**"


def table(old: dict, new: dict, old_rev: str, new_rev: str) -> list[str]:
    a, b = ratios(old), ratios(new)
    rows = [f"| figure | {old_rev} | {new_rev} | new vs old |", "|---|---|---|---|"]
    for name in [n for n in b if n in a] + [n for n in a if n not in b]:
        (x, higher), y = a[name], b.get(name, (None, True))[0]
        rows.append(f"| {name} ({'higher' if higher else 'lower'} is better) | {x:.3f} | "
                    f"{'-' if y is None else f'{y:.3f}'} | {'-' if y is None else verdict(x, y, higher)} |")
    only_new = [n for n in b if n not in a]
    return rows + ([""] + [f"Only at {new_rev}: " + ", ".join(f"{n} {b[n][0]:.3f}" for n in only_new) + "."]
                   if only_new else [])


def _run_bench(tree: Path, out: Path) -> dict:
    env = {**os.environ, "LLMOS_BENCH_JSON": str(out), "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-m", "benchmarks"], cwd=tree, env=env, check=False)
    return json.loads(out.read_text()) if out.exists() else {}


def _rev(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


THROUGHPUT = """
import anyio, json, sys
from benchmarks import kernel as kb, llm as lb
from benchmarks.__main__ import in_thread, N_TOKENS
from drivers.llm import default_model_path
m, out = default_model_path(), {}
for n in map(int, sys.argv[1].split(",")):
    bare = in_thread(lb.bare_ceiling, m, n, N_TOKENS)["tok_s"]
    r = anyio.run(lambda: kb.through_llmos(n, N_TOKENS))
    naive = anyio.run(lambda: kb.through_llmos(n, N_TOKENS, n_slots=1))["tok_s"]
    out[n] = {"ceiling": r["decode_tok_s"] / bare, "naive": r["tok_s"] / naive}
print(json.dumps(out))
"""
AGENTS = """
import json
from benchmarks import agents
from drivers.llm import default_model_path
r = agents.run_all(default_model_path())["results"]
print(json.dumps({b: {n: x.get("mean_s") for n, x in by.items()} for b, by in r.items()}))
"""


def _measure(tree: Path, code: str, arg: str = "", env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, arg], cwd=tree, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(tree), **(env or {})})
    lines = proc.stdout.strip().splitlines()
    return json.loads(lines[-1]) if proc.returncode == 0 and lines else {}


def recheck(old_rev: str, counts: str = "1,2,4,8", rounds: int = 3, agent_rounds: int = 2) -> int:
    """The figures that move most from run to run, measured again with the two commits alternated round
    by round (old, new, old, new ...), so the machine's drift falls on both alike; appended to the doc."""
    old_short, new_short = _rev(old_rev), _rev("HEAD")
    got: dict[str, dict[str, list[float]]] = {old_short: {}, new_short: {}}
    with tempfile.TemporaryDirectory(prefix="llmos-bench-old-") as tmp:
        old_tree = _extract(old_rev, Path(tmp))
        trees = [(old_short, old_tree), (new_short, ROOT)]
        for r in range(rounds):
            for rev, tree in trees:
                print(f"== round {r + 1}: throughput at {rev}", flush=True)
                for n, x in _measure(tree, THROUGHPUT, counts).items():
                    for key, label in (("ceiling", "llmos / bare llama.cpp decode"), ("naive", "llmos / naive")):
                        got[rev].setdefault(f"{label}, {n} processes", []).append(x[key])
        env = {"LLMOS_BENCH_AGENTS": "16", "LLMOS_BENCH_AGENT_BACKENDS": "llmos,llmos+"}
        for r in range(agent_rounds):
            for rev, tree in trees:
                print(f"== round {r + 1}: agent programs at {rev}", flush=True)
                for backend, by in _measure(tree, AGENTS, env=env).items():
                    for n, mean_s in by.items():
                        if mean_s:
                            got[rev].setdefault(f"agent programs: {backend} mean completion s, {n} programs",
                                                []).append(mean_s)
    rows = [f"| figure | {old_short}: rounds | {new_short}: rounds | medians, new vs old |", "|---|---|---|---|"]
    for name, olds in got[old_short].items():
        news = got[new_short].get(name, [])
        if not news:
            continue
        higher = "mean completion" not in name
        fmt = ", ".join
        rows.append(f"| {name} ({'higher' if higher else 'lower'} is better) | {fmt(f'{x:.3f}' for x in olds)} | "
                    f"{fmt(f'{x:.3f}' for x in news)} | "
                    f"{verdict(statistics.median(olds), statistics.median(news), higher)} |")
    text = DOC.read_text() if DOC.exists() else ""
    text += "\n".join(["", "## Measured again, the two commits alternated", "",
                        (f"Written by `make bench-compare OLD={old_rev} RECHECK=1` on "
                         f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC. The throughput figures at "
                         f"{counts} processes ({rounds} rounds) and the agent programs at 16 ({agent_rounds} rounds), "
                         f"each round measuring {old_short} and then {new_short}, so both see the same drift of the "
                         "machine; the verdict compares the medians."), "", *rows, ""])
    DOC.write_text(text)
    print("\n".join(rows))
    return 0


def _extract(rev: str, tmp: Path) -> Path:
    """``rev``'s files (``git archive``) in a folder under ``tmp``."""
    tree = tmp / "tree"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tree, filter="data")
    return tree


def main(old_rev: str) -> int:
    old_short, new_short = _rev(old_rev), _rev("HEAD")
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="llmos-bench-old-") as tmp:
        tree = _extract(old_rev, Path(tmp))
        print(f"== make bench at {old_short} (in {tree})", flush=True)
        old = _run_bench(tree, Path(tmp) / "old.json")
    print(f"== make bench at {new_short} (this checkout)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        new = _run_bench(ROOT, Path(tmp) / "new.json")
    lines = ["# Benchmarks: an older commit against this one", "",
             (f"Written by `make bench-compare OLD={old_rev}` on {started} UTC: `make bench` ran at {old_short}, then "
              f"at {new_short}, one after the other on the same machine (load average at the start of each: "
              f"{old.get('load', ['?'])[0]:.2f} and {new.get('load', ['?'])[0]:.2f}). Every figure is a ratio "
              "measured within one run, so the machine's speed cancels out of it; a ratio that moved by less "
              f"than {NOISE:.0%} is called the same, the run-to-run noise of these figures on this shared machine."), "",
             *table(old, new, old_short, new_short), "",
             f"Sections that failed at {old_short}: {', '.join(old.get('errors', {})) or 'none'}; "
             f"at {new_short}: {', '.join(new.get('errors', {})) or 'none'}.", ""]
    DOC.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {DOC}")
    return 0
