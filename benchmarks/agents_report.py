"""The "Agent programs" section of docs/benchmarks.md and its CDF plot, from benchmarks/agents.py's results."""
from __future__ import annotations

import re
from pathlib import Path

IMAGE = "images/bench/agents_cdf.png"  # relative to docs/
BEGIN, END = "<!-- agent-programs:begin -->", "<!-- agent-programs:end -->"
BASE = "llama-server"
LABELS = {"llama-server": "llama-server (its RAM prompt cache on)", "llmos": "llmos as shipped (fifo)",
          "llmos+": "llmos, plas + KV that follows the process"}


def _f(x: float, nd: int = 2) -> str:
    return f"{x:,.{nd}f}"


def plot(a: dict, docs: Path) -> bool:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [n for n in a["counts"] if any("times" in a["results"].get(b, {}).get(str(n), {}) for b in LABELS)]
    if not counts:
        return False
    fig, axes = plt.subplots(1, len(counts), figsize=(5 * len(counts), 3.8), squeeze=False)
    for ax, n in zip(axes[0], counts):
        for b, label in LABELS.items():
            r = a["results"].get(b, {}).get(str(n), {})
            ts = r.get("times") or []
            if ts:
                ax.step(ts, [(i + 1) / r["programs"] for i in range(len(ts))], where="post", label=label)
        ax.set(title=f"{n} programs x {a['steps']} steps, {a['slots']} slots", xlabel="program completion time (s)",
               ylabel="fraction of programs done", ylim=(0, 1.02))
        ax.grid(alpha=0.3)
    if axes[0][0].get_legend_handles_labels()[0]:
        axes[0][0].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    out = docs / IMAGE
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def _ratio(r: dict, base: dict, key: str) -> str:
    ok = base.get(key) and (key.startswith("prompt") or (r["times"] and base.get("times")))
    return _f(r[key] / base[key]) + "x" if ok else "-"


def section(a: dict, plotted: bool) -> list[str]:
    lines = [BEGIN, "## Agent programs", "",
             (f"N processes, each {a['steps']} steps: an LLM call over the whole conversation so far (at most "
              f"{a['max_tokens']} tokens, greedy), a tool wait of {a['wait_s'][0]}-{a['wait_s'][1]} s drawn with a "
              "fixed seed, then an observation of about 130 tokens appended; one system prompt of about 400 "
              f"tokens shared by all. {a['slots']} slots, {a['n_ctx']} tokens of context, {a['threads']} threads "
              "on every backend. On llmos the programs are processes of an ordinary app (the tool wait is a "
              "`proc.recv` with a timeout); against llama-server the same loop runs as HTTP clients. "
              f"llama-server is built from the llama.cpp vendored in the pinned llama-cpp-python (the engine's "
              f"own commit) and run with `--cache-ram {a['kv_store_mb']}`, the memory llmos gets for saved KV. "
              "Completion time is from the common start to the program's end; ratios are to llama-server at "
              "the same size in the same run."), ""]
    missing = [b for b in LABELS if b not in a["results"]]
    if missing:
        lines += [f"Not run this time: {', '.join(missing)} (`LLMOS_BENCH_AGENT_BACKENDS`); ratios to llama-server "
                  "are then left out.", ""]
    if a.get("load"):
        lines += [f"Load average (1 min) at the start of this section {_f(a['load'][0])}, at its end "
                  f"{_f(a['load'][1])}: figures from a loaded machine are slower and noisier than an idle one's.", ""]
    head = ["programs", "backend", "mean s", "p50 s", "p95 s", "max s", "makespan s", "mean vs server",
            "p95 vs server", "prompt tokens computed / sent", "computed vs server", "re-prefills", "failed"]
    rows = []
    for n in a["counts"]:
        base = a["results"].get(BASE, {}).get(str(n), {})
        for b in LABELS:
            r = a["results"].get(b, {}).get(str(n))
            if r is None:
                continue
            if "skipped" in r:
                rows.append([str(n), b, *["-"] * 10, f"skipped: {r['skipped'][:120]}"])
                continue
            times = [_f(r[k]) if r["times"] else "-" for k in ("mean_s", "p50_s", "p95_s", "max_s", "makespan_s")]
            rows.append([str(n), b, *times, _ratio(r, base, "mean_s"), _ratio(r, base, "p95_s"),
                         f"{r['prompt_computed']:,} / {r['prompt_sent']:,}", _ratio(r, base, "prompt_computed"),
                         str(r.get("reprefills", "-")), str(r["failures"])])
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(x) + " |" for x in rows]
    lines.append("")
    kv = [(n, a["results"].get("llmos+", {}).get(str(n), {})) for n in a["counts"]]
    kv = [(n, r) for n, r in kv if "kv_peak_mb" in r]
    if kv:
        lines += ["KV that follows the process (llmos+): " + "; ".join(
            f"{n} programs: {r['follow_resumes']} steps found their KV, {r['reprefills']} re-prefilled "
            f"({r['reprefill_tokens']:,} tokens), saved KV peaked at {_f(r['kv_peak_mb'], 1)} MB of its "
            f"{r['kv_budget_mb']} MB bound in memory and {_f(r['kv_disk_peak_mb'], 1)} MB of its "
            f"{r['kv_disk_budget_mb']} MB on disk, at most {r['max_bypassed']} overtakes of a waiting call, "
            f"{_f(r['ready_mean_s'], 1)} s READY per program on average" for n, r in kv) + ".", ""]
    errs = [f"- {b}, {n}: {e}" for b, by in a["results"].items() for n, r in by.items() for e in r.get("errors", [])]
    if errs:
        lines += ["Failures:", "", *errs[:20], ""]
    if plotted:
        lines += [f"![completion-time CDF]({IMAGE})", ""]
    lines += [END, ""]
    return lines


def update(doc: Path, a: dict) -> Path:
    """Write the section (and plot) into ``doc``, replacing an earlier one or appending it."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n\n"
    new = "\n".join(section(a, plot(a, doc.parent)))
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END) + r"\n?", lambda _: new, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + new
    doc.write_text(text)
    return doc
