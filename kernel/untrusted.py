"""Taint tracking: which arguments of a call repeat untrusted text the process saw recently.

Text that enters a process from files (``fs.read``), other processes (``proc.recv``), tools
whose output is not a pure function of their arguments (``tool.call``), web pages
(``browser.*``) and memories stored from such text (``mem.recall``, and the page fault that
pages them into a prompt) is untrusted.  The kernel keeps each process's last few such observations
and, for every call, names the arguments whose values appear in them (after folding case,
Unicode compatibility forms and whitespace), or that contain a long run of their text.
The rules engine's ``derived_from_untrusted`` condition reads those names.
"""

from __future__ import annotations

import collections
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import msgspec

WINDOW = 8  # observations remembered per process ("the same step" and a few before it)
MAX_OBSERVATION = 32 * 1024  # characters kept of each observation
MIN_CHARS = 5  # shorter values ("ok", "2", "yes") are too common to say they were copied
GRAM = 16  # a longer argument is tainted when it shares a stretch of 16 to 31 characters with one
MAX_ARG_SCAN = 16 * 1024
TRUSTED_TOOLS = frozenset({"calculator", "clock"})  # pure functions of the arguments the agent chose
FENCE_OPEN, FENCE_CLOSE = "<<<", ">>>"
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """The form compared: NFKC, case-folded, invisible characters dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
    return _SPACE.sub(" ", text.casefold()).strip()


def defang(text: str) -> str:
    """Untrusted text cannot close the fence the agent loop puts around it."""
    return text.replace(FENCE_CLOSE, "> > >").replace(FENCE_OPEN, "< < <")


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 8:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, (int, float)):
        yield str(value)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v, depth + 1)


def _leaves(args: dict[str, Any], prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(dotted name, value) for every leaf argument; lists keep their parent's name."""
    for key, value in args.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 8:
            yield from _leaves(value, name + ".", depth + 1)
        else:
            yield name, value


def reply_text(name: str, reply: Any, tools: dict[str, Any] | None = None) -> str | None:
    """The untrusted text a syscall reply brings into the process, or None if it brings none."""
    if name == "fs.read":
        return getattr(reply, "data", None)
    if name == "proc.recv":
        return "\n".join(_strings(msgspec.to_builtins(getattr(reply, "message", None))))
    if name == "tool.call":
        tool = (tools or {}).get(getattr(reply, "name", ""))
        trusted = getattr(tool, "trusted_output", None)
        if trusted or (trusted is None and getattr(reply, "name", "") in TRUSTED_TOOLS):
            return None
        return "\n".join(_strings([getattr(reply, "output", ""), msgspec.to_builtins(getattr(reply, "data", None))]))
    if name == "mem.recall":  # only memories stored from untrusted text; the person's own stay trusted
        return "\n".join(m.text for m in getattr(reply, "memories", ()) if getattr(m, "untrusted", False)) or None
    if name.startswith("browser."):
        try:
            return "\n".join(_strings(msgspec.to_builtins(reply)))
        except Exception:  # noqa: BLE001 - an odd reply is still untrusted, just not searchable
            return None
    return None


class _Seen(msgspec.Struct):
    text: str  # folded
    grams: frozenset[str]  # its GRAM-long pieces at every GRAM-th position


class Taint:
    """Per-process recent untrusted observations, and the check of a call's arguments against them."""

    def __init__(self, window: int = WINDOW):
        self.window = window
        self._seen: dict[int, collections.deque[_Seen]] = {}

    def observe(self, pid: int, text: str | None) -> None:
        if not text:
            return
        folded = fold(text[:MAX_OBSERVATION])
        if folded:
            grams = frozenset(folded[i:i + GRAM] for i in range(0, len(folded) - GRAM + 1, GRAM))
            self._seen.setdefault(pid, collections.deque(maxlen=self.window)).append(_Seen(folded, grams))

    def observations(self, pid: int) -> list[str]:
        return [s.text for s in self._seen.get(pid, ())]

    def forget(self, pid: int) -> None:
        self._seen.pop(pid, None)

    def tainted(self, pid: int, args: dict[str, Any]) -> list[str]:
        """Names (dotted for nested arguments) of the arguments derived from untrusted text."""
        seen = self._seen.get(pid)
        if not seen or not isinstance(args, dict):
            return []
        return [name for name, value in _leaves(args)
                if any(_derived(fold(s[:MAX_ARG_SCAN]), seen) for s in _strings(value))]


def _derived(value: str, seen: collections.deque[_Seen]) -> bool:
    """The value appears whole in an observation, or shares a long stretch with one.

    Any common stretch of 2 * GRAM - 1 characters holds one of the observation's aligned
    grams whole, so it is found with one set lookup per position of the value."""
    if len(value) < MIN_CHARS:
        return False
    for obs in seen:
        if value in obs.text:
            return True
        if len(value) >= GRAM and any(value[i:i + GRAM] in obs.grams for i in range(len(value) - GRAM + 1)):
            return True
    return False
