"""An eval run's summary (success with Wilson intervals, per category, cost, failures) as JSON and markdown."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from statistics import mean, median
from typing import Any

import msgspec

from .outcome import Outcome
from .stats import wilson

FORMAT = 1


def rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(k, n)
    return {"passed": k, "total": n, "rate": round(k / n, 4) if n else 0.0, "low": round(lo, 4), "high": round(hi, 4)}


def _cost(rows: list[Outcome]) -> dict[str, float]:
    if not rows:
        return {"tokens_in": 0, "tokens_out": 0, "wall_s": 0.0, "llm_s": 0.0, "median_wall_s": 0.0}
    return {"tokens_in": round(mean(r.tokens_in for r in rows), 1), "tokens_out": round(mean(r.tokens_out for r in rows), 1),
            "wall_s": round(mean(r.wall_seconds for r in rows), 2), "llm_s": round(mean(r.llm_seconds for r in rows), 2),
            "median_wall_s": round(median(r.wall_seconds for r in rows), 2)}


def summarize(outcomes: list[Outcome], meta: dict[str, Any]) -> dict[str, Any]:
    """``overall`` counts every run; ``answered`` leaves out the system's failures, so a load problem
    shows as fewer runs answered, not as a lower rate of right answers."""
    n = len(outcomes)
    k = sum(o.passed for o in outcomes)
    system = [o for o in outcomes if o.system]
    wrong = [o for o in outcomes if not o.passed and not o.system]
    cats: dict[str, Any] = {}
    for cat in sorted({o.category for o in outcomes}):
        rows = [o for o in outcomes if o.category == cat]
        cats[cat] = {**rate(sum(o.passed for o in rows), len(rows)), "system_failures": sum(o.system for o in rows),
                     "cost": _cost(rows)}
    return {
        "format": FORMAT, **meta,
        "overall": rate(k, n),
        "answered": rate(k, n - len(system)),
        "wrong_answers": len(wrong),
        "system_failures": len(system),
        "categories": cats,
        "cost_per_task": _cost(outcomes),
        "failures": {"model": dict(Counter(o.failure for o in wrong).most_common()),
                     "system": dict(Counter(o.failure for o in system).most_common())},
        "items": [msgspec.to_builtins(o) for o in outcomes],
    }


def pct(r: dict[str, Any]) -> str:
    return f"{r['rate']:.0%} ({r['passed']}/{r['total']}; 95% CI {r['low']:.0%}–{r['high']:.0%})"


def markdown(s: dict[str, Any], plot: str | None = None) -> str:
    c = s["cost_per_task"]
    lines = [f"# llmos eval: {s.get('app', '?')} on {s.get('suite', '?')} ({s.get('split', 'all')})", "",
             f"- when: {s.get('started', '?')}, {s.get('seconds', 0):.0f} s in all, on {s.get('backend', '?')}",
             f"- samples per item: {s.get('samples', 1)}; concurrency: {s.get('concurrency', 1)}"
             + (f"; tasks sent inside `{s['wrap']}`" if s.get("wrap") else ""),
             *([f"- `--approve`: {s.get('approved', 0)} approvals and confirmations of its processes answered yes"]
               if s.get("approve") else []),
             *([f"- **partial**: interrupted after {s['overall']['total']} of {s.get('planned', '?')} runs; the ones "
                "that finished first, not a sample of the suite"] if s.get("partial") else []),
             f"- **success: {pct(s['overall'])}**",
             f"- of the runs the system completed: {pct(s['answered'])}",
             f"- wrong answers: {s['wrong_answers']}; system failures (timeouts, engine errors, crashes, budgets): "
             f"{s['system_failures']}",
             f"- per task: {c['tokens_in']:.0f} tokens in, {c['tokens_out']:.0f} out, {c['wall_s']:.1f} s wall "
             f"(median {c['median_wall_s']:.1f}), {c['llm_s']:.1f} s of LLM time", "",
             "| category | success | 95% CI | system failures | tokens in/out | wall s | LLM s |",
             "|---|---|---|---|---|---|---|"]
    for cat, r in s["categories"].items():
        rc = r["cost"]
        lines.append(f"| {cat} | {r['passed']}/{r['total']} ({r['rate']:.0%}) | {r['low']:.0%}–{r['high']:.0%} | "
                     f"{r['system_failures']} | {rc['tokens_in']:.0f}/{rc['tokens_out']:.0f} | {rc['wall_s']:.1f} | "
                     f"{rc['llm_s']:.1f} |")
    if plot:
        lines += ["", f"![success per category]({plot})"]
    for kind in ("model", "system"):
        groups = s["failures"][kind]
        if groups:
            lines += ["", f"## {'Wrong answers' if kind == 'model' else 'System failures'} by reason", ""]
            lines += [f"- `{reason}`: {count}" for reason, count in groups.items()]
    bad = [i for i in s["items"] if not i["passed"]][:40]
    if bad:
        lines += ["", "## Failed items", "", "| id | failure | answer or error |", "|---|---|---|"]
        for i in bad:
            text = (i["answer"] or i["error"]).replace("|", "/").replace("\n", " ")[:90]
            lines.append(f"| {i['id']} | {i['failure']} | {text} |")
    return "\n".join(lines) + "\n"


def plot(s: dict[str, Any], path: Path) -> bool:
    """A bar per category with its 95% interval; False when matplotlib is not installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    cats = list(s["categories"]) + ["overall"]
    rows = [*s["categories"].values(), s["overall"]]
    rates = [r["rate"] for r in rows]
    err = [[r["rate"] - r["low"] for r in rows], [r["high"] - r["rate"] for r in rows]]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(cats)), 3.2))
    ax.bar(cats, rates, yerr=err, capsize=4, color=["#4c72b0"] * (len(cats) - 1) + ["#55a868"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("success (95% CI)")
    ax.set_title(f"{s.get('app', '?')} on {s.get('suite', '?')} ({s.get('split', 'all')})")
    ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(s: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``report.json``, ``report.md`` and ``success.png`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    js = out / "report.json"
    js.write_text(json.dumps(s, indent=1), encoding="utf-8")
    png = out / "success.png"
    md = out / "report.md"
    md.write_text(markdown(s, png.name if plot(s, png) else None), encoding="utf-8")
    return js, md


def load(path: Path) -> dict[str, Any]:
    """A report written by ``write``; raises ValueError with a one-line message otherwise."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError:
        raise ValueError(f"{path}: not JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("items"), list):
        raise ValueError(f"{path}: not an llmos eval report (report.json)")
    return data
