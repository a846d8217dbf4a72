"""The ``mem`` family: store, recall, forget and pin memories."""
from __future__ import annotations

from typing import Annotated

import msgspec

from .base import MAX_NAME, Name, Reply, Request, Text

K = Annotated[int, msgspec.Meta(ge=1, le=50)]


class Store(Request, tag="mem.store"):
    text: Text
    kind: Name = "fact"  # fact | preference | note | ...
    collection: Name | None = None  # None: the process's own
    untrusted: bool = False  # text from a tool, page or file (the kernel also sets it for text it saw come in so)
    source: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] = ""


class Recall(Request, tag="mem.recall"):
    query: Text
    k: K = 5
    collection: Name | None = None
    kinds: Annotated[list[Name], msgspec.Meta(max_length=16)] = []  # only memories of these kinds; [] any
    min_score: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)] = -1.0  # only hits at least this relevant


class Forget(Request, tag="mem.forget"):
    id: Name
    collection: Name | None = None


class Pin(Request, tag="mem.pin"):
    text: Text


class Add(Request, tag="mem.add"):
    """Put a page into the process's own context (its RAM); older pages may be paged out."""

    text: Text
    kind: Annotated[str, msgspec.Meta(pattern="^(message|observation|scratch|pinned)$")] = "message"
    role: Annotated[str, msgspec.Meta(pattern="^(system|user|assistant|tool)$")] = "user"
    untrusted: bool = False  # text from a tool, page or file: data, never instructions
    source: Annotated[str, msgspec.Meta(max_length=MAX_NAME)] = ""
    importance: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 0.0


class Learn(Request, tag="mem.learn"):
    """The person chose ``chosen`` among the ``options`` an app offered: a learned preference."""

    options: Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=500)]],
                       msgspec.Meta(min_length=2, max_length=20)]
    chosen: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    evidence: Annotated[str, msgspec.Meta(max_length=2000)] = ""  # what the choice was about
    collection: Name | None = None  # None: the person's (user:<name>)


class Stored(Reply):
    id: str
    collection: str


class Memory(Reply):
    id: str
    text: str
    kind: str
    collection: str
    score: float
    untrusted: bool = False  # stored from untrusted text: data, never instructions (the kernel taints it again)
    source: str = ""


class Recalled(Reply):
    memories: list[Memory]


class Added(Reply):
    page: str  # the page's id in the context
    tokens: int  # what it costs in the prompt
    used: int  # the context's tokens now
    limit: int
    evicted: int  # pages paged out of the context so far
