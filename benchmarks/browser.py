"""Browser driver benchmark: snapshot latency and size on the demo pages, action round trips."""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.browser import BrowserDriver  # noqa: E402
from tests.sites.server import SITES, serve  # noqa: E402

PAGES = [
    "/flights/index.html",
    "/flights/results.html?from=Lisbon&to=Oslo&date=2025-07-01&cabin=Economy",
    "/flights/seat.html?from=Lisbon&to=Oslo&date=2025-07-01&flight=AU123&airline=Aurora+Air&price=120&depart=08:00",
    "/shop/index.html",
    "/basic/index.html",
    "/basic/long.html",
]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def _ms(xs: list[float]) -> dict:
    return {"p50_ms": round(1000 * statistics.median(xs), 1), "p95_ms": round(1000 * _pct(xs, 95), 1), "n": len(xs)}


async def run(repeats: int = 20, count_tokens: Callable[[str], int] | None = None, max_chars: int = 6000) -> dict:
    """Measure on a fresh browser; returns a JSON-able dict (latencies in ms)."""
    site = serve(SITES)
    drv = BrowserDriver(max_chars=max_chars)
    owner = "bench"
    allow = [site.origin]
    out: dict = {"repeats": repeats, "max_chars": max_chars, "pages": {}}
    try:
        t0 = time.perf_counter()
        await drv.open(owner, f"{site.url}/flights/index.html", allow)
        out["first_open_incl_launch_ms"] = round(1000 * (time.perf_counter() - t0), 1)
        for path in PAGES:
            await drv.open(owner, site.url + path, allow)
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                shot = await drv.snapshot(owner)
                times.append(time.perf_counter() - t)
            row = _ms(times) | {"chars": len(shot.rendering), "elements": len(shot.elements), "truncated": shot.truncated,
                                "page_text_chars": len(shot.text)}
            if count_tokens is not None:
                row["tokens"] = count_tokens(shot.rendering)
            out["pages"][path.split("?")[0]] = row
        # action round trips, each returning a fresh snapshot
        opens, clicks, types, scrolls, backs = [], [], [], [], []
        for _ in range(repeats):
            t = time.perf_counter()
            shot = await drv.open(owner, f"{site.url}/basic/index.html", allow)
            opens.append(time.perf_counter() - t)
            more = next(e for e in shot.elements if e.label == "Load more")
            t = time.perf_counter()
            await drv.click(owner, more.index)
            clicks.append(time.perf_counter() - t)
            q = next(e for e in shot.elements if e.label == "Query")
            t = time.perf_counter()
            await drv.type(owner, q.index, "hello", submit=True)
            types.append(time.perf_counter() - t)
            t = time.perf_counter()
            await drv.scroll(owner, "down")
            scrolls.append(time.perf_counter() - t)
            nxt = next(e for e in shot.elements if e.label == "Next page")
            await drv.click(owner, nxt.index)
            t = time.perf_counter()
            await drv.back(owner)
            backs.append(time.perf_counter() - t)
        out["actions"] = {"open": _ms(opens), "click_same_page": _ms(clicks), "type_submit": _ms(types),
                          "scroll": _ms(scrolls), "back": _ms(backs)}
        t = time.perf_counter()
        png = await drv.screenshot(owner)
        out["actions"]["screenshot"] = {"ms": round(1000 * (time.perf_counter() - t), 1), "bytes": len(png)}
    finally:
        await drv.close()
        site.close()
    return out


def bench(repeats: int = 20, count_tokens: Callable[[str], int] | None = None, max_chars: int = 6000) -> dict:
    """Synchronous entry point for ``make bench`` and scripts."""
    return asyncio.run(run(repeats, count_tokens, max_chars))


if __name__ == "__main__":
    approx_tokens = lambda s: max(1, len(s) // 4)  # noqa: E731  (rough: 4 chars a token)
    print(json.dumps(bench(count_tokens=approx_tokens), indent=2))
