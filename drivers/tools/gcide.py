"""A second dictionary on disk: the GNU Collaborative International Dictionary of English (GCIDE, Debian's
dict-gcide in dictd's format), read for the headwords whose definitions say a phrase, where WordNet has no
word for a thing ("any young animal, especially a young kangaroo": joey)."""
from __future__ import annotations

import bisect
import gzip
import os
import re
import threading
from pathlib import Path
from typing import Protocol

DEFAULT_DIR = Path(os.environ.get("LLMOS_GCIDE", "/usr/local/share/llmos/gcide"))
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
FOUND = 3  # headwords given for one phrase
NEAR_START = 40  # the phrase within this many characters of its definition's start
INDENT = 6  # a definition is indented 3 spaces; an example sentence or a quotation 9
DEFINITION = re.compile(r"^(?:\d+\.\s+)?((?:A|An|Any|The|One)\b[^\[{]*?)(?:\s+--\s*[\w. ]+)?\s*$")  # "1. A young swan. --Shak."


class Definitions(Protocol):
    """What the lexicon asks of a second dictionary: the headwords whose definitions say ``phrase``."""

    def defining(self, phrase: re.Pattern[str]) -> list[tuple[str, str]]: ...


def _number(text: str) -> int:
    """dictd's base-64 offsets and lengths ("BJg6a")."""
    value = 0
    for c in text:
        value = value * 64 + B64.index(c)
    return value


class Gcide:
    """GCIDE's index and text, loaded on first use (about half a second, 40 MB)."""

    def __init__(self, folder: Path = DEFAULT_DIR):
        self.folder = folder
        self._text = ""
        self._starts: list[int] = []
        self._entries: list[tuple[int, int, str]] = []  # offset, length, headword; by offset
        self._loading = threading.Lock()  # look-ups run in worker threads: load once

    @staticmethod
    def available(folder: Path = DEFAULT_DIR) -> bool:
        return (folder / "gcide.index").is_file() and (folder / "gcide.dict.dz").is_file()

    def _load(self) -> None:
        with self._loading:
            if not self._text:
                self._read()

    def _read(self) -> None:
        entries: dict[int, tuple[int, int, str]] = {}
        for line in (self.folder / "gcide.index").read_text(encoding="utf-8", errors="replace").splitlines():
            word, _, rest = line.partition("\t")
            offset, _, length = rest.partition("\t")
            if word and offset and length and not word.startswith("00-database"):
                entries.setdefault(_number(offset), (_number(offset), _number(length), word))
        self._entries = sorted(entries.values())
        self._starts = [e[0] for e in self._entries]
        with gzip.open(self.folder / "gcide.dict.dz") as f:  # dictzip is gzip with an index of chunks
            self._text = f.read().decode("utf-8", errors="replace")

    def defining(self, phrase: re.Pattern[str]) -> list[tuple[str, str]]:
        """Headwords (a case-sensitive ``phrase`` is ten times faster over the 40 MB) whose first lines of definition (a numbered sense, or the first) say ``phrase``, each with
        that line: ``[("joey", "Any young animal, especially a young kangaroo.")]``."""
        self._load()
        found: dict[str, str] = {}
        for m in phrase.finditer(self._text):
            at = bisect.bisect_right(self._starts, m.start()) - 1
            if at < 0:
                continue
            start, length, word = self._entries[at]
            if m.start() >= start + length or word in found:
                continue
            begins = self._text.rfind("\n", start, m.start()) + 1
            raw = self._text[begins:self._text.find("\n", m.end())]
            sense = DEFINITION.match(raw.strip())  # a definition that says it near its start, not an example or a note
            if sense and m.start() - begins < NEAR_START and len(raw) - len(raw.lstrip()) <= INDENT:
                found[word] = sense.group(1)
            if len(found) >= FOUND:
                break
        return list(found.items())
