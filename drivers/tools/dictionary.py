"""The dictionary tool: an English word's senses, plural and opposite, from the lexicons on disk (WordNet, and GCIDE)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from .base import Tool, ToolOutput
from .gcide import DEFAULT_DIR as GCIDE_DIR
from .gcide import Gcide
from .lexicon import DEFAULT_DIR, Lexicon, LexiconError

MAX_QUERY = 200  # a question as asked (agent.task_to), not only a word


class Dictionary(Tool):
    name = "dictionary"
    description = ("Look up an English word or phrase in the dictionary: what it means, its plural, its opposite, "
                   "its past tense; what a gloss says of a thing (how many legs, the largest); a number in words.")
    schema = {"type": "object", "properties": {"word": {"type": "string", "maxLength": MAX_QUERY}},
              "required": ["word"]}
    trusted_output = True  # the kernel's own reference text, not the world's

    def __init__(self, folder: Path = DEFAULT_DIR, more: Path = GCIDE_DIR):
        self.folder = folder
        self.more = Gcide(more) if Gcide.available(more) else None  # GCIDE, where `make run` installed it
        self._lexicon: Lexicon | None = None
        self._lock = anyio.Lock()

    async def lexicon(self) -> Lexicon:
        """Loaded on the first look-up, off the event loop (about two seconds), then kept."""
        async with self._lock:
            if self._lexicon is None:
                self._lexicon = await anyio.to_thread.run_sync(Lexicon, self.folder, self.more)
            return self._lexicon

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        word = args.get("word")
        if not isinstance(word, str) or not word.strip() or len(word) > MAX_QUERY:
            return ToolOutput(f"dictionary needs a 'word': a string of 1 to {MAX_QUERY} characters", is_error=True)
        try:
            lexicon = await self.lexicon()
        except LexiconError as exc:
            return ToolOutput(f"error: {exc}", is_error=True)
        lines = await anyio.to_thread.run_sync(lexicon.look_up, word)  # up to 0.3 s of search: not on the kernel's loop
        if not lines:
            # an error, not a reading: the agent loop holds an answer to a reading (answer_from), not to this
            return ToolOutput(f"no entry for {word.strip()!r}", is_error=True, data=[])
        return ToolOutput("\n".join(lines), data=lines)
