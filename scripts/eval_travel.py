"""``make eval-travel``: the travel app on the real model, N bookings on the local demo site, and its success rate.

A run succeeds when the site confirms a booking of the cheapest flight for the asked route and date.
The rate (and how far the failed runs got) is printed and, with ``--write-docs``, written into
docs/browser.md between the ``travel-eval`` markers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps import AppRegistry  # noqa: E402 - after the sys.path line above
from drivers.browser import BrowserDriver  # noqa: E402 - after the sys.path line above
from kernel import Kernel, KernelConfig  # noqa: E402 - after the sys.path line above
from tests.sites.server import SITES, serve  # noqa: E402 - after the sys.path line above

REQUESTS = [
    "book me a flight from SFO to JFK on 2027-03-02",
    "book me a flight from LAX to ORD on 2027-04-15",
    "Please book a flight from Lisbon to Oslo on 2027-05-20",
    "book me a flight from BOS to SEA on 2027-06-01",
    "I need a flight from Paris to Rome on 2027-07-09",
    "book me a flight from DEN to MIA on 2027-08-23",
    "book a flight from Berlin to Madrid on 2027-09-30",
    "book me a flight from ATL to DFW on 2027-10-11",
    "Find and book a flight from Dublin to Vienna on 2027-11-05",
    "book me a flight from SFO to JFK on 2027-12-24",
]
STAGES = [("results", "— results"), ("seat", "choose a seat"), ("checkout", "— checkout"), ("booked", "confirmed")]
MARK_START, MARK_END = "<!-- travel-eval:start -->", "<!-- travel-eval:end -->"


def trip_of(request: str) -> tuple[str, str, str]:
    m = re.search(r"from (\w+) to (\w+) on (\d{4}-\d{2}-\d{2})", request)
    return m.group(1), m.group(2), m.group(3)


async def cheapest(site, request: str) -> str:
    """The right answer, read from the results page by the test harness (not by the app)."""
    frm, to, date = trip_of(request)
    drv = BrowserDriver()
    try:
        shot = await drv.open("eval", f"{site.url}/flights/results.html?from={frm}&to={to}&date={date}&cabin=Economy",
                              [site.origin])
    finally:
        await drv.close()
    offers = re.findall(r"^.+? (\w\w\d+) · .*\$(\d+)$", shot.rendering, re.MULTILINE)
    return min(offers, key=lambda o: int(o[1]))[0]


def stage(result: dict) -> str:
    reached = "start"
    for name, marker in STAGES:
        if any(marker in a for a in result.get("actions", [])) or marker in result.get("title", ""):
            reached = name
    return reached


async def evaluate(runs: int, model: str) -> dict:
    site = serve(SITES)
    out: dict = {"model": model or "SmolLM2-135M-Instruct (embedded)", "runs": [], "when": time.time()}
    asked: list[str] = []

    async def person(proc, kind, text):  # approves every checkout, as a person at the shell would
        asked.append(text)
        return "yes"

    try:
        with tempfile.TemporaryDirectory() as home:
            k = Kernel(KernelConfig(home=home, model=model, subsystems=["browser"]), registry=AppRegistry(),
                       person=person)
            async with k:
                for i in range(runs):
                    request = REQUESTS[i % len(REQUESTS)]
                    want = await cheapest(site, request)
                    t0 = time.monotonic()
                    pid = await k.spawn("travel", f"{request} site={site.url}/flights/index.html")
                    proc = await k.wait(pid)
                    result = json.loads(proc.result) if proc.result else {"actions": [], "reason": proc.error}
                    booked = bool(result.get("booked"))
                    frm, to, date = trip_of(request)
                    ok = booked and f" {want}, {frm} → {to} on {date}," in result.get("page", "")
                    row = {"request": request, "ok": ok, "booked": booked, "cheapest": want,
                           "stage": stage(result), "steps": len(result.get("actions", [])),
                           "trip": result.get("trip"), "reason": result.get("reason", proc.exit_reason),
                           "seconds": round(time.monotonic() - t0, 1), "actions": result.get("actions", [])}
                    out["runs"].append(row)
                    print(json.dumps(row), flush=True)
    finally:
        site.close()
    return summarize(out)


def summarize(out: dict) -> dict:
    n = len(out["runs"])
    out["success"] = sum(r["ok"] for r in out["runs"])
    out["rate"] = out["success"] / n if n else 0.0
    out["stages"] = {s: sum(r["stage"] == s for r in out["runs"]) for s in ["start"] + [s for s, _ in STAGES]}
    out["facts_right"] = sum(1 for r in out["runs"] if r["trip"] and
                             (r["trip"]["from"], r["trip"]["to"], r["trip"]["date"]) == trip_of(r["request"]))
    return out


def outcome(r: dict) -> str:
    if r["ok"]:
        return f"booked the cheapest, {r['cheapest']}"
    chosen = [re.search(r"Select (\w+)", a) for a in r["actions"] if "link Select" in a]
    if r["booked"]:
        route = "" if r["trip"] and (r["trip"]["from"], r["trip"]["to"]) == trip_of(r["request"])[:2] else ", route swapped"
        return f"booked {chosen[-1].group(1) if chosen else '?'}, not the cheapest {r['cheapest']}{route}"
    return r["reason"]


def markdown(res: dict) -> str:
    n = len(res["runs"])
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(res.get("when", time.time())))
    lines = [MARK_START, (f"Measured by `make eval-travel` on {when} UTC, model {res['model']}, temperature 0, "
                          f"{n} runs (10 different requests):"), "",
             (f"- **success rate: {res['success']}/{n} ({100 * res['rate']:.0f}%)** — the site confirmed a booking "
              "of the cheapest flight for the asked route and date"),
             f"- trip facts read right (from, to, date): {res['facts_right']}/{n}",
             "- furthest stage reached: " + ", ".join(f"{k} {v}" for k, v in res["stages"].items()), "",
             "| request | result | stage | steps | s |", "|---|---|---|---|---|"]
    for r in res["runs"]:
        lines.append(f"| {r['request']} | {outcome(r)} | {r['stage']} | {r['steps']} | {r['seconds']} |")
    return "\n".join(lines + ["", MARK_END])


def write_docs(md: str) -> None:
    doc = ROOT / "docs" / "browser.md"
    text = doc.read_text()
    if MARK_START in text:
        text = text[:text.index(MARK_START)] + md + text[text.index(MARK_END) + len(MARK_END):]
    else:
        text += "\n" + md + "\n"
    doc.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--model", default="", help='"" is the embedded model; a .gguf path or an http(s) URL')
    ap.add_argument("--write-docs", action="store_true")
    ap.add_argument("--from-log", help="rebuild the report from the JSON lines an earlier run printed")
    args = ap.parse_args()
    if args.from_log:
        rows = [json.loads(ln) for ln in Path(args.from_log).read_text().splitlines() if ln.startswith("{")]
        res = summarize({"model": args.model or "SmolLM2-135M-Instruct (embedded)", "runs": rows,
                         "when": Path(args.from_log).stat().st_mtime})
    else:
        res = asyncio.run(evaluate(args.runs, args.model))
    md = markdown(res)
    print(md)
    if args.write_docs:
        write_docs(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
