"""Browser driver benchmark: snapshot latency and size on the demo pages, action round trips."""
from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.browser import BrowserDriver
from tests.sites.server import SITES, serve

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
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


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
            page = drv._sessions[owner].page
            times, raw_times = [], []
            for _ in range(repeats):
                t = time.perf_counter()
                shot = await drv.snapshot(owner)
                times.append(time.perf_counter() - t)
                t = time.perf_counter()  # baseline: the cheapest read of the page, its innerText
                await page.evaluate("document.body.innerText")
                raw_times.append(time.perf_counter() - t)
            html = await page.content()
            row = _ms(times) | {"chars": len(shot.rendering), "elements": len(shot.elements), "truncated": shot.truncated,
                                "page_text_chars": len(shot.text), "html_chars": len(html),
                                "baseline_innertext_p50_ms": _ms(raw_times)["p50_ms"]}
            if count_tokens is not None:
                row["tokens"] = count_tokens(shot.rendering)
                row["html_tokens"] = count_tokens(html)  # baseline: handing the model the raw HTML
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
        raw_gotos = []  # baseline: a bare Playwright goto, no allowlist bookkeeping, settle or snapshot
        page = drv._sessions[owner].page
        for _ in range(repeats):
            t = time.perf_counter()
            await page.goto(f"{site.url}/basic/index.html", wait_until="domcontentloaded")
            raw_gotos.append(time.perf_counter() - t)
        out["actions"]["baseline_bare_goto"] = _ms(raw_gotos)
        t = time.perf_counter()
        png = await drv.screenshot(owner)
        out["actions"]["screenshot"] = {"ms": round(1000 * (time.perf_counter() - t), 1), "bytes": len(png)}
    finally:
        await drv.close()
        site.close()
    return out


def model_tokenizer() -> Callable[[str], int] | None:
    """The embedded model's tokenizer (vocabulary only, no weights), or None without it."""
    try:
        from llama_cpp import Llama

        from drivers.llm import default_model_path
        llm = Llama(model_path=default_model_path(), vocab_only=True, verbose=False)
    except Exception:  # noqa: BLE001 - no model: sizes in characters only
        return None
    return lambda text: len(llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=False))


def section(repeats: int = 20) -> str:
    """``make bench``'s browser section: markdown with every ratio against a baseline from the same run."""
    count = model_tokenizer()
    r = bench(repeats, count)
    rows = [("| page | snapshot p50 / p95 ms | baseline innerText p50 ms | snapshot tokens | raw HTML tokens | "
             "tokens vs HTML |"), "|---|---|---|---|---|---|"]
    for path, p in r["pages"].items():
        tok, html = p.get("tokens"), p.get("html_tokens")
        ratio = f"{tok / html:.2f}x" if tok and html else "n/a"
        rows.append(f"| {path} | {p['p50_ms']} / {p['p95_ms']} | {p['baseline_innertext_p50_ms']} | "
                    f"{tok if tok is not None else str(p['chars']) + ' chars'} | {html or 'n/a'} | {ratio} |")
    a = r["actions"]
    base = a["baseline_bare_goto"]["p50_ms"]
    rows += ["", "| action round trip (returns a new snapshot) | p50 ms | p95 ms | vs bare goto |", "|---|---|---|---|"]
    for name in ("open", "click_same_page", "type_submit", "scroll", "back", "baseline_bare_goto"):
        rows.append(f"| {name} | {a[name]['p50_ms']} | {a[name]['p95_ms']} | {a[name]['p50_ms'] / base:.2f}x |")
    rows.append(f"\nFirst call including the Chromium launch: {r['first_open_incl_launch_ms']} ms; "
                f"screenshot {a['screenshot']['ms']} ms ({a['screenshot']['bytes']} bytes).")
    return "\n".join(["## Browser", "", f"{repeats} repeats a measure; tokens of the embedded model's tokenizer.", "",
                      *rows, ""])


def bench(repeats: int = 20, count_tokens: Callable[[str], int] | None = None, max_chars: int = 6000) -> dict:
    """Synchronous entry point for ``make bench`` and scripts."""
    return asyncio.run(run(repeats, count_tokens, max_chars))


if __name__ == "__main__":
    approx_tokens = lambda s: max(1, len(s) // 4)
    print(json.dumps(bench(count_tokens=approx_tokens), indent=2))
