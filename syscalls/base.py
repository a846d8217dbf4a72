"""Base classes for syscall requests and replies, and the size limits on arguments."""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

# Bounds on what one request may carry; the decoder enforces them.
MAX_TEXT = 256 * 1024
MAX_NAME = 256
MAX_ITEMS = 512

Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
Path = Annotated[str, msgspec.Meta(max_length=4096)]
Pid = Annotated[int, msgspec.Meta(ge=1)]
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
JSONValue = Any


class Request(msgspec.Struct, tag_field="call", forbid_unknown_fields=True, kw_only=True):
    """A syscall request.  The tag (``call``) is the syscall name, e.g. ``"fs.read"``."""


class Reply(msgspec.Struct, kw_only=True):
    """A syscall reply."""


class Empty(Reply):
    """A reply that carries nothing but success."""
