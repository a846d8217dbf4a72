"""What the model sees: the page as compact indexed text, bounded in characters or tokens."""
from __future__ import annotations

import importlib.resources
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

_COLLECT_JS = importlib.resources.files(__package__).joinpath("collect.js").read_text()
MAX_ITEMS = 5000  # lines collected from one page before the walk stops
LINE_CAP = 400  # characters one text line may take in the rendering
HREF_CAP = 80


class Element(msgspec.Struct, omit_defaults=True):
    """One interactive element.  ``index`` is stable for the element's lifetime in
    this owner's session and never reused for another element."""

    index: int
    kind: str  # link, button, input, textarea, select, checkbox, radio, textbox, <aria role>, clickable
    label: str = ""
    name: str = ""
    value: str | None = None
    type: str = ""
    placeholder: str = ""
    options: list[str] = []
    href: str = ""
    checked: bool | None = None
    disabled: bool = False
    new: bool = False  # appeared since the previous snapshot of the same document


class Snapshot(msgspec.Struct):
    """A page as the model sees it.  ``rendering`` is the bounded text to put in the
    context; ``text`` is all visible text; ``elements`` every interactive element."""

    title: str
    url: str
    text: str
    elements: list[Element]
    rendering: str
    truncated: bool = False
    blocked: list[str] = []  # origins and URLs refused since the previous snapshot
    notes: list[str] = []


async def collect(page: Any, attr: str, doc_key: str, next_index: int) -> dict:
    """Run the collector in the page; it tags new elements from ``next_index`` on."""
    return await page.evaluate(_COLLECT_JS, {"attr": attr, "docKey": doc_key, "next": next_index, "maxItems": MAX_ITEMS})


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _q(s: str) -> str:
    return '"' + s.replace('"', "'") + '"'


def short_href(href: str, base: str) -> str:
    """Same-origin links as path; others in full; long ones clipped."""
    try:
        h, b = urllib.parse.urlsplit(href), urllib.parse.urlsplit(base)
        if (h.scheme, h.netloc) == (b.scheme, b.netloc) and h.scheme in ("http", "https"):
            href = urllib.parse.urlunsplit(("", "", h.path or "/", h.query, h.fragment))
    except ValueError:
        pass
    return _clip(href, HREF_CAP)


def element_line(e: Element, base: str, allowed: Callable[[str], bool] | None = None) -> str:
    """``[12] button "Search"``, ``*[16] link "Next" -> /page2`` and the like."""
    parts = [("*" if e.new else "") + f"[{e.index}]", e.kind]
    if e.label:
        parts.append(_q(e.label))
    if e.kind in ("input", "textarea", "select", "checkbox", "radio") and e.name:
        parts.append(f"name={e.name}")
    if e.type:
        parts.append(f"type={e.type}")
    if e.placeholder:
        parts.append(f"placeholder={_q(e.placeholder)}")
    if e.kind in ("input", "textarea", "select") and e.value is not None:
        parts.append(f"value={_q(e.value)}")
    if e.options:
        parts.append("options=[" + ", ".join(e.options) + "]")
    if e.checked is not None:
        parts.append("checked" if e.checked else "unchecked")
    if e.disabled:
        parts.append("disabled")
    if e.href:
        parts.append("-> " + short_href(e.href, base))
        if allowed is not None and e.href.startswith(("http:", "https:")) and not allowed(e.href):
            parts.append("(off-allowlist)")
        elif not e.href.startswith(("http:", "https:", "javascript:", "#")):
            parts.append("(blocked scheme)")
    return " ".join(parts)


def build(
    raw: dict,
    *,
    previous: set[int] | None,
    blocked: Sequence[str] = (),
    notes: Sequence[str] = (),
    max_chars: int = 6000,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
    allowed: Callable[[str], bool] | None = None,
) -> Snapshot:
    """Turn the collector's output into a Snapshot.  ``previous`` holds the indices of
    the last snapshot of the same document (None for a new document: nothing marked)."""
    url = raw["url"]
    lines: list[tuple[float, str]] = []
    elements: list[Element] = []
    texts: list[str] = []
    for it in raw["items"]:
        if it["k"] == "text":
            texts.append(it["text"])
            lines.append((it["y"], _clip(it["text"], LINE_CAP)))
        elif it["k"] == "frame":
            lines.append((it["y"], f"[frame -> {short_href(it['src'], url)}]"))
        else:
            fields = {k: v for k, v in it.items() if k not in ("k", "y") and v is not None}
            e = msgspec.convert(fields, Element)
            e.new = previous is not None and e.index not in previous
            elements.append(e)
            lines.append((it["y"], element_line(e, url, allowed)))
    head = [f"Page: {raw['title'] or '(untitled)'}", f"URL: {url}"]
    if blocked:
        head.append(f"Blocked (off the allowlist, not loaded): {', '.join(blocked[:8])}" + (f" and {len(blocked) - 8} more" if len(blocked) > 8 else ""))
    head += [f"Note: {n}" for n in notes]
    if raw.get("height", 0) > raw.get("viewport", 0) > 0:
        pct = int(100 * raw["scrollY"] / max(1, raw["height"] - raw["viewport"]))
        head.append(f"Scroll: {min(pct, 100)}% down a page {raw['height'] / raw['viewport']:.1f} screens tall")
    head.append("---")
    at_bottom = raw.get("scrollY", 0) > 0 and raw["scrollY"] + raw.get("viewport", 0) >= raw.get("height", 0) - 2
    rendering, truncated = _fit(head, lines, raw.get("scrollY", 0), at_bottom, max_chars, count_tokens, max_tokens)
    if raw.get("more"):
        truncated = True
    return Snapshot(
        title=raw["title"], url=url, text="\n".join(texts), elements=elements, rendering=rendering,
        truncated=truncated, blocked=list(blocked), notes=list(notes),
    )


def _fit(head, lines, scroll_y, at_bottom, max_chars, count_tokens, max_tokens) -> tuple[str, bool]:
    """Keep whole lines within the bound.  If the page does not fit, start the window
    at the first line in view (so ``scroll`` moves it; at the bottom of the page the
    window ends with the last line) and say what was left out."""
    if count_tokens is not None and max_tokens is not None:
        cost, limit = count_tokens, max_tokens
    else:
        cost, limit = (lambda s: len(s) + 1), max_chars
    body = [t for _, t in lines]
    total = sum(cost(s) for s in head) + sum(cost(s) for s in body)
    if total <= limit and sum(len(s) + 1 for s in head + body) <= max_chars:
        return "\n".join(head + body), False
    start = next((i for i, (y, _) in enumerate(lines) if y >= scroll_y - 4), 0)
    if start and scroll_y <= 0:
        start = 0
    reserve = cost("[… truncated: 99999 more lines (9999 elements) below; scroll down, or use extract for the text]")
    budget = limit - sum(cost(s) for s in head) - reserve
    chars = max_chars - sum(len(s) + 1 for s in head) - 110
    if at_bottom:  # fill backwards from the last line
        b, c, start = budget - cost("[… 99999 lines above; scroll up to see them]"), chars - 50, len(body)
        while start > 0 and cost(body[start - 1]) <= b and len(body[start - 1]) + 1 <= c:
            start -= 1
            b -= cost(body[start])
            c -= len(body[start]) + 1
    out = list(head)
    if start:
        out.append(f"[… {start} lines above; scroll up to see them]")
        budget -= cost(out[-1])
        chars -= len(out[-1]) + 1
    end = start
    while end < len(body):
        c, n = cost(body[end]), len(body[end]) + 1
        if c > budget or n > chars:
            break
        budget -= c
        chars -= n
        out.append(body[end])
        end += 1
    rest = body[end:]
    if rest:
        n_el = sum(1 for s in rest if s.startswith(("[", "*[")) and not s.startswith("[frame"))
        out.append(f"[… truncated: {len(rest)} more lines ({n_el} elements) below; scroll down, or use extract for the text]")
    return "\n".join(out), bool(start or rest)
