"""``make eval``: pal on 20 fixed grade-school word problems with the real model; writes the score to docs/apps.md.

Each problem runs as its own pal process (four at a time share the engine's slots).  A
problem counts as solved when pal's answer equals the expected number.  The problems and
their answers live in ``tests/apps/data/pal_problems.json``; no answer is in any prompt.
``--problems tests/apps/data/pal_dev_problems.json`` runs the separate development set that
prompt changes are tried on first (it never updates the docs), so the 20 above stay a held-out
measurement.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drivers.llm.factory import open_engine  # noqa: E402 - after the sys.path line above
from kernel import Kernel, KernelConfig  # noqa: E402 - after the sys.path line above

PROBLEMS = ROOT / "tests" / "apps" / "data" / "pal_problems.json"
DOC = ROOT / "docs" / "apps.md"
BEGIN, END = "<!-- pal-eval:begin -->", "<!-- pal-eval:end -->"


async def evaluate(samples: int, model: str, subsystems: list[str] | None, path: Path = PROBLEMS) -> dict:
    problems = json.loads(path.read_text())
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as home:
        cfg = KernelConfig(home=home, model=model, n_slots=4, n_ctx=4096, subsystems=subsystems)
        t0 = time.monotonic()
        async with Kernel(cfg, engine=open_engine(model, n_slots=4, n_ctx=4096)) as k:
            runner = "sandbox" if "python" in k.tools else "calculator"
            pids = [await k.spawn("pal", json.dumps({"question": p["q"], "samples": samples})) for p in problems]
            for p, pid in zip(problems, pids):
                proc = await k.wait(pid)
                ok = proc.exit_reason == "exited" and proc.result == str(p["a"])
                rows.append({"q": p["q"], "expected": p["a"], "got": proc.result or proc.error[:80], "ok": ok})
            seconds = time.monotonic() - t0
            engine = k.engine.name
    solved = sum(r["ok"] for r in rows)
    return {"solved": solved, "total": len(rows), "rate": solved / len(rows), "samples": samples,
            "runner": runner, "seconds": round(seconds, 1), "engine": engine, "rows": rows}


def write_doc(res: dict) -> None:
    text = DOC.read_text(encoding="utf-8")
    summary = (f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} by `make eval` on {res['engine']}: "
               f"**{res['solved']} of {res['total']} solved ({res['rate']:.0%})**, {res['samples']} sample(s) "
               f"per problem, programs run by the {res['runner']}, {res['seconds']:.0f} s in all.")
    lines = [BEGIN, "", summary, "",
             "| # | expected | pal's answer | |", "|---|---|---|---|"]
    for i, r in enumerate(res["rows"], 1):
        lines.append(f"| {i} | {r['expected']} | {str(r['got']).replace('|', '/')} | {'✓' if r['ok'] else '✗'} |")
    lines += ["", END]
    block = "\n".join(lines)
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.DOTALL)
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=5, help="programs sampled per problem (self-consistency)")
    ap.add_argument("--model", default="", help="engine spec: '' (embedded), a .gguf path or a URL")
    ap.add_argument("--no-docs", action="store_true", help="print only; do not update docs/apps.md")
    ap.add_argument("--subsystems", default=None, help="comma-separated boot steps (default: all)")
    ap.add_argument("--problems", type=Path, default=PROBLEMS,
                    help="a JSON list of {q, a}; any set but the default never updates the docs")
    args = ap.parse_args()
    if not args.problems.is_file():
        ap.error(f"--problems: no such file: {args.problems}")
    subs = None if args.subsystems is None else [s for s in args.subsystems.split(",") if s]
    res = anyio.run(evaluate, args.samples, args.model, subs, args.problems)
    for r in res["rows"]:
        print(f"{'ok ' if r['ok'] else 'BAD'} expected {r['expected']:>4}  got {r['got']!s:<10} {r['q'][:70]}")
    print(f"pal: {res['solved']}/{res['total']} solved ({res['rate']:.0%}) with {res['samples']} sample(s), "
          f"{res['runner']}, {res['seconds']} s")
    if not args.no_docs and args.problems.resolve() == PROBLEMS.resolve():
        write_doc(res)
        print(f"wrote the result into {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
