"""Untrusted text made safe to show a person: control characters and bidi overrides become visible escapes."""
from __future__ import annotations

import unicodedata

# Characters that reorder or hide text on a terminal: bidirectional embeddings, overrides and
# isolates, the zero-width marks that can split or join words unseen, and letters that draw nothing
# (Hangul fillers, the braille blank, the combining grapheme joiner) but are not blanks to a regex.
_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
                       "\u034f\u115f\u1160\u3164\uffa0\u2800\u180e")

# Controls, formats, surrogates, line and paragraph separators, private-use and unassigned code points.
_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: object, *, newlines: bool = False) -> str:
    """`text` with every control, format and bidi character shown as an escape (``\\x1b``, ``\\u202e``).

    With ``newlines=True`` line feeds (and tabs) are kept, for multi-line views such as logs;
    otherwise they are escaped too, so one value always prints as one line.  A backslash is
    left alone: the escapes are for reading, not for round-tripping.
    """
    s = text if isinstance(text, str) else str(text)
    if s.isascii() and s.isprintable():  # the common case, at C speed
        return s
    out: list[str] = []
    for ch in s:
        if newlines and ch in "\n\t":
            out.append(ch)
        elif ch in _INVISIBLE or unicodedata.category(ch) in _ESCAPED:
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def clip(text: object, limit: int) -> str:
    """`printable(text)` cut to `limit` characters with a visible count of what was cut.

    Use it only where the full value is one command away (for instance `llmos approvals show ID`);
    an approval never shows a clipped target.
    """
    s = printable(text)
    if len(s) <= limit:
        return s
    cut = len(s) - limit
    return f"{s[:limit]}… (+{cut} chars)"
