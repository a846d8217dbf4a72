"""Reading a browser snapshot: its element lines, and the actions an agent may take on them."""
from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field

_LINE = re.compile(r'^\*?\[(\d+)\] ([\w-]+)(?: "([^"]*)")?(.*)$')
_NAME = re.compile(r"\bname=(\S+)")
_HREF = re.compile(r"-> (\S+)")
_VALUE = re.compile(r'value="([^"]+)"')
_OPTIONS = re.compile(r"options=\[([^\]]*)\]")
TEXT_KINDS = {"input", "textarea", "textbox", "searchbox"}
CLICK_KINDS = {"link", "button", "checkbox", "radio", "clickable", "tab", "menuitem", "option", "switch"}
CONTEXT_CAP = 90


@dataclass
class Element:
    index: int
    kind: str
    label: str
    rest: str
    context: str = ""  # the text line right above it (a result's price and times, say)
    options: list[str] = field(default_factory=list)


@dataclass
class Action:
    """One concrete thing to do; ``text`` is what the model chooses from."""

    verb: str  # click | type | select | done
    index: int = 0
    value: str = ""
    text: str = ""


def body(page_text: str) -> list[str]:
    """The snapshot's lines between the header's ``---`` and the closing fence."""
    lines = page_text.splitlines()
    if "---" in lines:
        lines = lines[lines.index("---") + 1:]
    return [ln for ln in lines if not ln.startswith(("</untrusted", "<untrusted"))]


def elements(page_text: str) -> list[Element]:
    out: list[Element] = []
    previous = ""
    for line in body(page_text):
        m = _LINE.match(line)
        if not m:
            if not line.startswith("[…"):
                previous = line.strip()
            continue
        index, kind, label, rest = int(m.group(1)), m.group(2), m.group(3) or "", m.group(4)
        if "disabled" in rest.split():
            continue
        opts = _OPTIONS.search(rest)
        out.append(Element(index, kind, label, rest, previous[:CONTEXT_CAP],
                           [o.strip() for o in opts.group(1).split(",")] if opts else []))
        previous = ""  # context is the text line right above an element, never one further up
    return out


def path_of(url: str) -> str:
    """``/flights/index.html`` from a link target or a page URL (no origin, no query)."""
    return urllib.parse.urlsplit(url).path or "/"


def candidates(page_text: str, facts: list[str], done: set[str], request: str = "",
               visited: frozenset[str] = frozenset(), groups_done: frozenset[str] = frozenset()) -> list[Action]:
    """Every sensible action on the page, except those already taken.  Text is typed only from
    ``facts`` (what the person's request said), so the model cannot invent values; a select's
    option is offered only if the request names it and it is not already the one chosen (otherwise its
    default stands).  ``done`` is
    offered only when nothing else is left: the task ends when the booking is confirmed.  A booking
    moves forward, so links back to a page already ``visited`` (paths) are not offered, nor radio
    buttons of a group in ``groups_done`` or already checked."""
    acts: list[Action] = []
    els = elements(page_text)
    used = {v for e in els for v in _VALUE.findall(e.rest)}
    for e in els:
        name = e.label or e.kind
        if e.kind in TEXT_KINDS:
            if _VALUE.search(e.rest):
                continue  # filled already
            acts += [Action("type", e.index, f, f"type '{f}' into [{e.index}] {name}") for f in facts if f not in used]
        elif e.kind == "select":
            now = _VALUE.search(e.rest)
            acts += [Action("select", e.index, o, f"select '{o}' in [{e.index}] {name}") for o in e.options
                     if o and o.lower() in request.lower() and not (now and now.group(1).lower() == o.lower())]
        elif e.kind in CLICK_KINDS:
            group = group_of(e)
            if e.kind == "radio" and (" checked" in e.rest.replace("unchecked", "") or group in groups_done):
                continue  # a choice made is made: its group is not offered again
            href = _HREF.search(e.rest)
            if e.kind == "link" and href and path_of(href.group(1)) in visited:
                continue
            ctx = f" ({e.context})" if e.kind == "link" and e.context else ""
            acts.append(Action("click", e.index, "", f"click [{e.index}] {e.kind} {name}{ctx}"))
    for a in acts:  # llama.cpp's schema-to-grammar converter mis-escapes quotes and backslashes in enums
        a.text = a.text.replace('"', "'").replace("\\", "/")
    acts = [a for a in acts if a.text not in done]
    return acts or [Action("done", text="done: nothing left to do on this page")]


def schema(acts: list[Action]) -> dict:
    """The JSON schema that makes the model pick exactly one of ``acts``."""
    return {"type": "object", "properties": {"action": {"enum": [a.text for a in acts]}}, "required": ["action"]}


def group_of(e: Element) -> str:
    """A radio button's group (its ``name=``), or ""."""
    m = _NAME.search(e.rest)
    return m.group(1) if m else ""


def fingerprint(page_text: str) -> int:
    """Same page, same state: an action taken on it and changing nothing need not be offered again."""
    return hash(page_text)


def label_of(page_text: str, index: int) -> str:
    return next((e.label for e in elements(page_text) if e.index == index), "")
