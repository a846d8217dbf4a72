"""The ``browser`` family: read and act on web pages through a per-process browser context."""
from __future__ import annotations

from typing import Annotated

import msgspec

from .base import Path, Reply, Request, Text

Index = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=8192)]


class Open(Request, tag="browser.open"):
    url: Url


class Snapshot(Request, tag="browser.snapshot"):
    pass


class Click(Request, tag="browser.click"):
    index: Index


class Type(Request, tag="browser.type"):
    index: Index
    text: Text
    submit: bool = False


class Select(Request, tag="browser.select"):
    index: Index
    option: Text


class Scroll(Request, tag="browser.scroll"):
    direction: Annotated[str, msgspec.Meta(pattern="^(up|down)$")] = "down"


class Back(Request, tag="browser.back"):
    pass


class Extract(Request, tag="browser.extract"):
    question: Text


class Screenshot(Request, tag="browser.screenshot"):
    path: Path = "screenshot.png"


class Page(Reply):
    url: str
    title: str
    text: str  # the snapshot as the model sees it


class Extracted(Reply):
    answer: str
    url: str
