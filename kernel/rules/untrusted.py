"""Taint tracking: which arguments of a call repeat untrusted text the process has read.

Text that enters a process from files (``fs.read``), other processes (``proc.recv``), tools
whose output is not a pure function of their arguments (``tool.call``), web pages
(``browser.*``) and memories stored from such text (``mem.recall``, and the page fault that
pages them into a prompt) is untrusted.  The kernel remembers ALL of it for the life of the
process, whole, in a memory bounded by bytes (not by a count of reads an attacker controls):
the folded text itself (so a short value such as a file name is found wherever it was) and a
set of fingerprints (hashes) of its aligned ``GRAM``-long pieces (so a long argument that copies
any stretch of it is found in time linear in the argument).  For every call it names the
arguments whose values appear in that text (after folding case, Unicode compatibility forms and
whitespace), or that share a long run with it.  The rules engine's ``derived_from_untrusted``
condition reads those names.

When a process's memory would pass ``MAX_BYTES`` (or all processes' together ``MAX_TOTAL_BYTES``)
the process is *saturated*: what it read is dropped and from then on every argument of every
call counts as derived from untrusted text, so each high-risk call asks instead of passing
(fail closed).  A saturated process stays so until it exits.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from syscalls import fs, mem, proc, tool

MAX_BYTES = 32 * 1024 * 1024  # remembered per process (text and fingerprints, about 6 MB of text)
MAX_TOTAL_BYTES = 512 * 1024 * 1024  # remembered for all processes together
MIN_CHARS = 5  # shorter values ("ok", "2", "yes") are too common to say they were copied
GRAM = 16  # a longer argument is tainted when it shares a stretch of 16 to 31 characters with one
MAX_ARG_SCAN = 1024 * 1024  # an argument longer than this counts as derived (no partial scan)
CHUNK = 64 * 1024  # observations are packed into strings of about this many characters
GRAM_COST = 64  # bytes one fingerprint costs in a Python set (the int and its slot)
CHUNK_COST = 64  # bytes of bookkeeping per string kept
SEP = "\x00"  # between packed observations (fold never leaves one inside text that is compared)
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
    if isinstance(reply, fs.FileData):
        return reply.data
    if isinstance(reply, proc.Message):
        return "\n".join(_strings(msgspec.to_builtins(reply.message)))
    if isinstance(reply, tool.ToolResult):
        spec = (tools or {}).get(reply.name)
        trusted = spec.trusted_output if spec is not None else None
        if trusted or (trusted is None and reply.name in TRUSTED_TOOLS):
            return None
        return "\n".join(_strings([reply.output, msgspec.to_builtins(reply.data)]))
    if isinstance(reply, mem.Recalled):  # only memories stored from untrusted text; the person's own stay trusted
        return "\n".join(m.text for m in reply.memories if m.untrusted) or None
    if name.startswith("browser."):
        try:
            return "\n".join(_strings(msgspec.to_builtins(reply)))
        except Exception:  # noqa: BLE001 - an odd reply is still untrusted, just not searchable
            return None
    return None


def _cost(text: str) -> int:
    """Bytes a Python str of ``text`` takes for its characters (1, 2 or 4 a character)."""
    if text.isascii():
        return len(text)
    return len(text) * (4 if max(text) > "\uffff" else 2)


class _Memory:
    """One process's untrusted text: packed folded strings, their gram fingerprints, bytes used."""

    __slots__ = ("chunks", "grams", "whole", "bytes")

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.grams: set[int] = set()
        self.whole: set[bytes] = set()  # digests of whole observations: a file read twice is kept once
        self.bytes = 0

    def add(self, folded: str) -> int:
        """Remember ``folded``; the bytes this took."""
        digest = hashlib.blake2b(folded.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if digest in self.whole:
            return 0
        self.whole.add(digest)
        before = len(self.grams)
        self.grams.update(hash(folded[i:i + GRAM]) for i in range(0, len(folded) - GRAM + 1, GRAM))
        last = self.chunks[-1] if self.chunks else None
        if last is not None and len(last) + len(folded) < CHUNK and _cost(last) // max(1, len(last)) == \
                _cost(folded) // max(1, len(folded)):  # same width: packing does not widen the string
            self.chunks[-1] = last + SEP + folded
            grown = _cost(folded) + 1
        else:
            self.chunks.append(folded)
            grown = _cost(folded) + CHUNK_COST
        grown += (len(self.grams) - before) * GRAM_COST + GRAM_COST
        self.bytes += grown
        return grown


class Taint:
    """Per-process memory of all untrusted text read, and the check of a call's arguments against it."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_total: int = MAX_TOTAL_BYTES,
                 on_saturate: Callable[[int, str], object] | None = None):
        self.max_bytes = max_bytes
        self.max_total = max_total
        self.on_saturate = on_saturate
        self.total = 0
        self._seen: dict[int, _Memory] = {}
        self._saturated: set[int] = set()

    def observe(self, pid: int, text: str | None) -> None:
        if not text or pid in self._saturated:
            return
        memory = self._seen.setdefault(pid, _Memory())
        room = min(self.max_bytes - memory.bytes, self.max_total - self.total)
        if len(text) > 4 * max(room, 0):  # cannot fit even folded to a quarter: do not fold it at all
            self._saturate(pid, f"one read of {len(text)} characters is more than the taint memory can hold")
            return
        folded = fold(text)
        if not folded:
            return
        grown = memory.add(folded)
        self.total += grown
        if memory.bytes > self.max_bytes:
            self._saturate(pid, f"more than {self.max_bytes} bytes of untrusted text read")
        elif self.total > self.max_total:
            self._saturate(pid, f"the kernel holds more than {self.max_total} bytes of untrusted text")

    def _saturate(self, pid: int, why: str) -> None:
        memory = self._seen.pop(pid, None)
        if memory is not None:
            self.total -= memory.bytes
        self._saturated.add(pid)
        if self.on_saturate is not None:
            self.on_saturate(pid, why)

    def saturated(self, pid: int) -> bool:
        """The process read more untrusted text than is remembered: every argument counts as derived."""
        return pid in self._saturated

    def usage(self, pid: int) -> int:
        """Bytes remembered for ``pid``."""
        memory = self._seen.get(pid)
        return memory.bytes if memory is not None else 0

    def observations(self, pid: int) -> list[str]:
        """The folded untrusted text remembered for ``pid`` (packed, observations split by ``SEP``)."""
        memory = self._seen.get(pid)
        return [] if memory is None else [t for c in memory.chunks for t in c.split(SEP)]

    def forget(self, pid: int) -> None:
        memory = self._seen.pop(pid, None)
        if memory is not None:
            self.total -= memory.bytes
        self._saturated.discard(pid)

    def tainted(self, pid: int, args: dict[str, Any]) -> list[str]:
        """Names (dotted for nested arguments) of the arguments derived from untrusted text."""
        if not isinstance(args, dict):
            return []
        if pid in self._saturated:
            return [name for name, _ in _leaves(args)]
        memory = self._seen.get(pid)
        if memory is None:
            return []
        return [name for name, value in _leaves(args) if any(_derived(s, memory) for s in _strings(value))]


def _derived(raw: str, memory: _Memory) -> bool:
    """The value appears whole in the remembered text, or shares a long stretch with it.

    Any common stretch of 2 * GRAM - 1 characters holds one of the text's aligned grams whole,
    so it is found with one set lookup per position of the value."""
    if len(raw) > MAX_ARG_SCAN:
        return True
    value = fold(raw)
    if len(value) < MIN_CHARS:
        return False
    if any(value in chunk for chunk in memory.chunks):
        return True
    grams = memory.grams
    return len(value) >= GRAM and any(hash(value[i:i + GRAM]) in grams for i in range(len(value) - GRAM + 1))
