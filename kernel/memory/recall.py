"""Page faults: turn the most relevant hits from disk into one recall page that fits its budget."""
from __future__ import annotations

from typing import AbstractSet, Callable, Sequence

from drivers.vectors import Hit
from kernel.memory.fit import longest_prefix
from kernel.memory.page import Page

HEADER = "Recalled from memory (what you know that bears on this step):"


def best_hits(hits: Sequence[Hit], k: int, threshold: float, exclude: AbstractSet[str] = frozenset()) -> list[Hit]:
    """The ``k`` best hits with score (cosine similarity) at least ``threshold``,
    one per evicted page (chunks of one page count once), skipping ids in ``exclude``."""
    out: list[Hit] = []
    seen: set[str] = set()
    for h in sorted(hits, key=lambda h: h.distance):
        if h.score < threshold or h.id in exclude:
            continue
        key = f"{h.collection}|{h.metadata.get('page_id') or h.id}"
        if key in seen:
            continue
        seen.add(key)
        out.append(h)
        if len(out) >= k:
            break
    return out


def line(hit: Hit, cut: int | None = None) -> str:
    md = hit.metadata
    who = md.get("role") if md.get("kind") in ("message", "scratch") else md.get("kind")
    where = "" if hit.collection.startswith("proc:") else f" {hit.collection}"
    text = " ".join(hit.text.split())
    if cut is not None and cut < len(text):
        text = text[:cut] + "…"
    if md.get("untrusted"):
        src = md.get("source") or "tool"
        text = f'<untrusted source="{src}">{text}</untrusted>'
    return f"- {text} [{who} · {hit.id}{where} · {hit.score:.2f}]"  # the text first: small models read it


def recall_page(hits: Sequence[Hit], max_tokens: int, measure: Callable[[Page], int]) -> Page | None:
    """A ``recall`` page with as many hits (best first) as fit in ``max_tokens``;
    a hit too long for the room left is cut.  None if not even one fits."""
    page = Page(text=HEADER, kind="recall", role="system")
    lines: list[str] = []
    refs: list[str] = []
    for h in hits:
        cand = line(h)
        page.text = "\n".join([HEADER, *lines, cand])
        if measure(page) > max_tokens:
            def fits(n: int, h: Hit = h) -> bool:
                page.text = "\n".join([HEADER, *lines, line(h, n)])
                return measure(page) <= max_tokens

            lo = longest_prefix(h.text, fits)
            if lo < 40:  # too little of it to be worth showing
                break
            cand = line(h, lo)
        lines.append(cand)
        refs.append(h.id)
    if not lines:
        return None
    page.text = "\n".join([HEADER, *lines])
    page.refs = refs
    return page
