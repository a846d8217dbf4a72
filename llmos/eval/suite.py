"""Eval suites: JSON Lines of items (id, category, task, expect, checker), validated, and split dev/held-out."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import msgspec

SUITES_DIR = Path(__file__).resolve().parent / "suites"
CHECKERS = ("exact", "number", "contains", "contains_any", "json_match")
SITE = "{site}"  # in a task: the URL of the item's ``site`` folder, served on loopback for the run (sites.py)
SPLITS = ("dev", "heldout", "all")


class SuiteError(ValueError):
    """A suite that cannot be used; the message is one line naming the file and line."""


class Item(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One task. ``task`` is a string, or a list of turns: each turn runs as its own process of the
    app, in order, in the same kernel, and the last turn's answer is checked."""

    id: str
    category: str
    task: str | list[str]
    expect: Any
    checker: str = "exact"
    note: str = ""
    site: str = ""  # a folder (relative to the suite file) that ``{site}`` in the task stands for, served for the run

    @property
    def turns(self) -> list[str]:
        return [self.task] if isinstance(self.task, str) else list(self.task)


class Suite(msgspec.Struct, frozen=True):
    name: str
    path: str
    items: list[Item]

    @property
    def categories(self) -> list[str]:
        return sorted({i.category for i in self.items})

    def half(self, split: str) -> list[Item]:
        if split == "all":
            return list(self.items)
        return [i for i in self.items if split_of(i, self.items) == split]


def rank(item_id: str) -> str:
    return hashlib.sha256(item_id.encode()).hexdigest()


def split_of(item: Item, items: list[Item]) -> str:
    """The documented rule (docs/eval.md): within each category, order the items by the SHA-256 of
    their id; the first half (rounded up) is ``dev``, the rest ``heldout``.  It depends on the ids
    alone, never on file order, and puts every category with two or more items in both halves."""
    same = sorted((i.id for i in items if i.category == item.category), key=rank)
    return "dev" if same.index(item.id) < (len(same) + 1) // 2 else "heldout"


def resolve(spec: str) -> Path:
    """A suite by bundled name (``math``) or by path to a ``.jsonl`` file."""
    p = Path(spec)
    if p.suffix == ".jsonl" or p.exists():
        if not p.is_file():
            raise SuiteError(f"{spec}: no such suite file")
        return p
    bundled = SUITES_DIR / f"{spec}.jsonl"
    if not bundled.is_file():
        names = ", ".join(sorted(f.stem for f in SUITES_DIR.glob("*.jsonl")))
        raise SuiteError(f"no suite named {spec!r}; bundled suites: {names}; or give a path to a .jsonl file")
    return bundled


def _item(path: Path, n: int, line: str) -> Item:
    where = f"{path.name}:{n}"
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: an item must be a JSON object")
    for key in ("id", "category", "task", "expect"):
        if key not in raw:
            raise SuiteError(f"{where}: missing {key!r}")
    try:
        item = msgspec.convert(raw, Item)
    except msgspec.ValidationError as exc:
        raise SuiteError(f"{where}: {exc}") from None
    if not item.id.strip() or not item.category.strip():
        raise SuiteError(f"{where}: 'id' and 'category' must not be empty")
    if not item.turns or not all(t.strip() for t in item.turns):
        raise SuiteError(f"{where}: 'task' must be a non-empty string or a list of non-empty strings")
    _check_checker(where, item, path.parent)
    _check_site(where, item, path.parent)
    return item


def _check_site(where: str, item: Item, folder: Path) -> None:
    uses = any(SITE in t for t in item.turns)
    if uses and not item.site:
        raise SuiteError(f"{where}: the task has {SITE} but the item names no 'site' folder to serve")
    if item.site and not uses:
        raise SuiteError(f"{where}: 'site' is given but no turn of the task has {SITE} where its URL goes")
    if item.site and not (folder / item.site).is_dir():
        raise SuiteError(f"{where}: the site folder {item.site} is not there ({(folder / item.site).resolve()}); "
                         "a suite's demo site comes with it, e.g. tests/sites/ of a source checkout")


def _check_checker(where: str, item: Item, folder: Path) -> None:
    c = item.checker
    if c.startswith("python:"):
        parts = c.split(":")
        if len(parts) != 3 or not all(parts[1:]):
            raise SuiteError(f"{where}: a Python checker is written 'python:module:function', got {c!r}")
        if not (folder / f"{parts[1]}.py").is_file():
            raise SuiteError(f"{where}: checker module {parts[1]}.py is not next to the suite")
        return
    if c not in CHECKERS:
        raise SuiteError(f"{where}: unknown checker {c!r}; use one of {', '.join(CHECKERS)} or python:module:function")
    if c == "number" and (isinstance(item.expect, bool) or not isinstance(item.expect, (int, float))):
        raise SuiteError(f"{where}: checker 'number' needs a number in 'expect'")
    if c in ("contains", "contains_any") and not (isinstance(item.expect, str) or
                                                 (isinstance(item.expect, list) and item.expect
                                                  and all(isinstance(e, str) for e in item.expect))):
        raise SuiteError(f"{where}: checker {c!r} needs a string or a list of strings in 'expect'")
    if c == "exact" and not isinstance(item.expect, str):
        raise SuiteError(f"{where}: checker 'exact' needs a string in 'expect'")


def load_suite(spec: str | Path) -> Suite:
    """Load and validate a suite; raises ``SuiteError`` with a one-line message."""
    path = resolve(str(spec))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read ({exc})") from None
    items: list[Item] = []
    seen: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        item = _item(path, n, line)
        if item.id in seen:
            raise SuiteError(f"{path.name}:{n}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = n
        items.append(item)
    if not items:
        raise SuiteError(f"{path}: the suite has no items")
    return Suite(name=path.stem, path=str(path), items=items)
