"""Turn a sequence's token bytes into streamed text: incremental UTF-8 and stop strings with hold-back."""
from __future__ import annotations

import codecs

from .base import Token


class TextStream:
    """Feed token pieces; get back the Tokens safe to stream and whether a stop string was hit.

    Text that could still turn into a stop string is held back until it cannot; when a stop
    string completes, the text is cut where it starts and nothing after it is released.
    """

    def __init__(self, stops: list[str]):
        self.stops = [s for s in stops if s]
        self._longest = max((len(s) for s in self.stops), default=0)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""  # all text so far (cut at a stop string once one is found)
        self._released = 0  # chars of ``text`` already streamed
        self._pending: list[tuple[int, str]] = []  # tokens not yet streamed, with their text
        self.released_tokens: list[int] = []  # tokens streamed, in order

    def push(self, tok: int, piece: bytes) -> tuple[list[Token], bool]:
        s = self._decoder.decode(piece)
        self.text += s
        self._pending.append((tok, s))
        if not self.stops:
            return self._release(len(self.text)), False
        start = max(0, len(self.text) - len(s) - self._longest + 1)
        hit = -1
        for stop in self.stops:
            i = self.text.find(stop, start)
            if i >= 0 and (hit < 0 or i < hit):
                hit = i
        if hit >= 0:
            self.text = self.text[:hit]
            return self._release(hit, partial=True), True
        return self._release(len(self.text) - self._held()), False

    def flush(self) -> list[Token]:
        """Release everything held (the sequence ended for a reason other than a stop string)."""
        tail = self._decoder.decode(b"", final=True)  # a dangling partial UTF-8 sequence, if any
        if tail:
            self.text += tail
            if self._pending:
                tok, t = self._pending[-1]
                self._pending[-1] = (tok, t + tail)
            else:
                self._released += len(tail)
        return self._release(len(self.text), partial=True)

    def _held(self) -> int:
        """Length of the longest tail of ``text`` that is a proper prefix of some stop string."""
        text = self.text
        for n in range(min(self._longest - 1, len(text)), 0, -1):
            tail = text[-n:]
            if any(stop.startswith(tail) for stop in self.stops):
                return n
        return 0

    def _release(self, upto: int, partial: bool = False) -> list[Token]:
        out: list[Token] = []
        while self._pending:
            tok, t = self._pending[0]
            end = self._released + len(t)
            if end <= upto:
                out.append(Token(tok, t))
            elif partial and self._released < upto:
                out.append(Token(tok, t[:upto - self._released]))
                end = upto
            else:
                break
            self._pending.pop(0)
            self.released_tokens.append(tok)
            self._released = end
        return out
