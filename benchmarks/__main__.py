"""``make bench``: every benchmark in one run, reported as ratios against baselines measured alongside."""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import anyio
from rich.console import Console
from rich.table import Table

from drivers.llm import default_model_path

from . import browser as bbench
from . import kernel as kbench
from . import llm as lbench
from . import rules as rbench
from . import memory as mbench

console = Console()
N_TOKENS = 96


def machine() -> str:
    import os
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}"


async def llm_section() -> dict:
    model = default_model_path()
    out: dict = {}
    with console.status("bare llama.cpp, batch 1 and 8"):
        out["bare_1"] = lbench.bare_ceiling(model, 1, N_TOKENS)
        out["bare_8"] = lbench.bare_ceiling(model, 8, N_TOKENS)
    with console.status("llmos, 1 process"):
        out["llmos_1"] = await kbench.through_llmos(1, N_TOKENS)
    with console.status("llmos, 8 processes"):
        out["llmos_8"] = await kbench.through_llmos(8, N_TOKENS)
    with console.status("naive baseline: 8 requests behind one slot"):
        out["naive_8"] = await kbench.through_llmos(8, N_TOKENS, n_slots=1)
    return out


def report(r: dict) -> str:
    b1, b8 = r["bare_1"]["tok_s"], r["bare_8"]["tok_s"]
    l1, l8 = r["llmos_1"]["decode_tok_s"], r["llmos_8"]["decode_tok_s"]
    l8_wall, naive = r["llmos_8"]["tok_s"], r["naive_8"]["tok_s"]
    rows = [
        ("bare llama.cpp, batch 1 (decode tok/s)", f"{b1:.1f}", ""),
        ("bare llama.cpp, batch 8 (ceiling, decode tok/s)", f"{b8:.1f}", f"{b8 / b1:.2f}x batch 1"),
        ("llmos, 1 process (decode tok/s)", f"{l1:.1f}", f"{l1 / b1:.2f}x bare batch 1 (target >= 0.9)"),
        ("llmos, 8 processes (decode tok/s)", f"{l8:.1f}", f"{l8 / b8:.2f}x ceiling (target >= 0.9)"),
        ("llmos, 8 processes (wall tok/s, with prefill)", f"{l8_wall:.1f}", f"{l8_wall / naive:.2f}x naive (target >= 2)"),
        ("naive: 8 requests one after another (wall tok/s)", f"{naive:.1f}", "baseline"),
    ]
    t = Table(title=f"LLM throughput, {N_TOKENS} tokens a request")
    for c in ("measure", "value", "ratio"):
        t.add_column(c)
    for row in rows:
        t.add_row(*row)
    console.print(t)
    md = ["| measure | value | ratio |", "|---|---|---|"] + [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(md)


def main() -> int:
    started = time.time()
    results = anyio.run(llm_section)
    table = report(results)
    rules_table = rbench.section(console)
    doc = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    doc.parent.mkdir(exist_ok=True)
    doc.write_text(f"# Benchmarks\n\nWritten by `make bench` on {time.strftime('%Y-%m-%d %H:%M', time.gmtime(started))} UTC.\n"
                   f"Machine: {machine()}.\nModel: SmolLM2-135M-Instruct Q4_1 (embedded). Every ratio compares two "
                   f"figures measured in the same run.\n\n## LLM throughput\n\n{table}\n\n"
                   f"## Rules engine\n\n{rules_table}\n\n"
                   f"<details><summary>raw numbers</summary>\n\n```json\n{json.dumps(results, indent=1)}\n```\n</details>\n")
    with console.status("browser: snapshots and action round trips on the demo sites"):
        browser_md = bbench.section()
    with doc.open("a") as f:
        f.write("\n" + browser_md)
    console.print(browser_md)
    with console.status("memory: embedding, recall at 10k items, eviction"):
        mem_raw, mem_md = mbench.section(console)
    with doc.open("a") as f:
        f.write(f"\n## Memory\n\n{mem_md}\n\n<details><summary>raw numbers</summary>\n\n```json\n"
                f"{json.dumps(mem_raw, indent=1)}\n```\n</details>\n")
    from . import sandbox as sbench
    with doc.open("a") as f:
        f.write(sbench.section(console))
    console.print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
