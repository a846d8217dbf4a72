"""A page: one unit of a process's context (system prompt, message, observation, stub, ...)."""
from __future__ import annotations

import time
import uuid
from typing import Literal

import msgspec

PageKind = Literal["system", "pinned", "message", "observation", "recall", "stub", "scratch"]
KINDS: tuple[str, ...] = ("system", "pinned", "message", "observation", "recall", "stub", "scratch")

#: kinds whose text is a copy of something already on disk: evicting them writes nothing.
CACHED_KINDS = frozenset({"recall", "stub"})


class Page(msgspec.Struct, kw_only=True):
    """One page of context.

    ``tokens`` is what the page costs in the prompt (its rendered content counted by
    the model's tokenizer, plus the per-message template overhead); the context
    fills it in on ``add``.  ``untrusted`` marks text from tools, pages and files:
    it is data, never instructions, and is rendered inside an ``<untrusted>`` fence.
    ``refs`` are the memory ids a stub points to (or a recall page was built from).
    """

    text: str
    kind: PageKind = "message"
    role: str = "user"
    id: str = ""
    tokens: int = 0
    pinned: bool = False
    untrusted: bool = False
    source: str = ""  # where untrusted text came from ("tool:python", "browser", ...)
    step: int = 0  # the context's step counter when the page was added
    created: float = 0.0  # wall time (epoch seconds)
    uses: int = 0  # how often the kernel saw the page used (touch); the scored policy rewards it
    importance: float = 0.0  # 0..1, set by the kernel or the app; the scored policy rewards it
    refs: list[str] = []
    meta: dict[str, int] = {}  # a stub's page counts by kind

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown page kind {self.kind!r}")
        if not self.id:
            self.id = "p-" + uuid.uuid4().hex[:12]
        if not self.created:
            self.created = time.time()
        if self.kind in ("system", "pinned"):
            self.pinned = True

    @property
    def evictable(self) -> bool:
        return not self.pinned and self.kind not in ("system", "pinned")

    def render(self) -> str:
        """The content that goes into the prompt."""
        if self.untrusted:
            src = f' source="{self.source}"' if self.source else ""
            return f"<untrusted{src}>\n{self.text}\n</untrusted>"
        return self.text
