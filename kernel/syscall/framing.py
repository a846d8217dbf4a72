"""Bounded reading of a client's frames: frame size, time to finish a frame, bytes held for all clients, nesting depth.

What one client sends can cost the kernel only so much: a frame is at most ``max_frame`` bytes; a
frame that has begun must arrive whole within ``frame_seconds``; the partial frames of every client
together hold at most ``ByteBudget.limit`` bytes; and a frame nested deeper than ``MAX_DEPTH`` is
refused before any JSON decoder (whose recursion ends in RecursionError) sees it."""
from __future__ import annotations

import re
import struct

import anyio

MAX_DEPTH = 32  # arrays/objects inside each other; the deepest real request has 3
_HEADER = struct.Struct(">I")
_STRINGS = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"?', re.DOTALL)  # possessive, always matches: linear
_PAIRS = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


class FrameError(ValueError):
    """The client broke a bound; the connection is answered with this message and closed."""


class ByteBudget:
    """Bytes that the partial frames of all connections may hold together."""

    def __init__(self, limit: int):
        self.limit, self.used = limit, 0

    def resize(self, held: int, want: int) -> bool:
        """Move one connection's share from ``held`` to ``want`` bytes; False (no change) past the limit."""
        if want > held and self.used + (want - held) > self.limit:
            return False
        self.used += want - held
        return True


def too_deep(payload: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON in ``payload`` nests arrays and objects more than ``limit`` deep.

    Linear and in C: strings are cut out, only brackets kept, and innermost pairs removed
    ``limit`` times; anything left is deeper (or unbalanced, which is no valid JSON either)."""
    if payload.count(b"[") + payload.count(b"{") <= limit:
        return False
    brackets = _STRINGS.sub(b"", payload).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = _PAIRS.sub(b"", brackets)
    return bool(brackets)


class FrameReader:
    """Length-prefixed frames from one stream, within the bounds above."""

    def __init__(self, stream: anyio.abc.ByteReceiveStream, budget: ByteBudget, *, max_frame: int,
                 frame_seconds: float):
        self.stream, self.budget = stream, budget
        self.max_frame, self.frame_seconds = max_frame, frame_seconds
        self.buf = bytearray()
        self._held = 0

    def _hold(self, size: int) -> None:
        if not self.budget.resize(self._held, size):
            raise FrameError("the kernel API is holding too many unfinished frames; try again later")
        self._held = size

    def release(self) -> None:
        """Give this connection's share of the budget back (it is closing)."""
        self.budget.resize(self._held, 0)
        self._held = 0
        self.buf.clear()

    async def read(self) -> bytes | None:
        """The next frame's payload; None at a clean end of stream; FrameError past a bound."""
        while True:
            if len(self.buf) >= 4:
                (n,) = _HEADER.unpack_from(self.buf)
                if n > self.max_frame:
                    raise FrameError(f"frame of {n} bytes exceeds {self.max_frame}")
                if len(self.buf) >= 4 + n:
                    payload = bytes(self.buf[4:4 + n])
                    del self.buf[:4 + n]
                    self._hold(len(self.buf))
                    return payload
            try:
                if self.buf:  # a frame has begun: it must be finished in time
                    with anyio.fail_after(self.frame_seconds):
                        chunk = await self.stream.receive(65536)
                else:
                    chunk = await self.stream.receive(65536)
            except TimeoutError:
                raise FrameError(f"frame not finished within {self.frame_seconds:g} s") from None
            except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError):
                if self.buf:
                    raise FrameError("connection closed inside a frame") from None
                return None
            self._hold(len(self.buf) + len(chunk))
            self.buf.extend(chunk)
