"""An approval's arguments as a person reviews them: every leaf whole, named by its dotted path.

The audit summary (audit.py) shortens each argument for the event log; an approval must not, or
padding could push the real target (a path, a URL, a command) out of sight.  Here each leaf of
the call's arguments becomes one text value, kept whole up to ``MAX_LEAF_CHARS`` (the syscall
schemas bound every text field below that, so it cuts only hostile nesting of big values).
Leaves named like payloads (``data``, ``content`` ...) are marked ``bulk``: a prompt may clip
them and point to ``llmos approvals show ID``; every other leaf is a target and is shown whole.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

MAX_LEAF_CHARS = 256 * 1024
MAX_LEAVES = 512  # more than this and the rest are named in one "…" entry
MAX_DEPTH = 8
# Payloads, not targets: what is written or sent, rather than where, to whom or what runs.
BULK = frozenset({"data", "content", "contents", "body", "message", "messages", "html", "payload",
                  "evidence", "output", "result"})


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return msgspec.json.encode(value, enc_hook=lambda o: f"<{type(o).__name__}>", order="sorted").decode()
    except Exception:  # noqa: BLE001 - a value that cannot be encoded is still named by its type
        return f"<{type(value).__name__}>"


def _walk(value: Any, name: str, depth: int) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        for key, inner in value.items():
            yield from _walk(inner, f"{name}.{key}" if name else str(key), depth + 1)
    else:
        yield name or "<args>", value


def leaves(args: Any) -> dict[str, str]:
    """``{"path": "notes.txt", "args.expression": "2+2"}``: every leaf of ``args`` as text."""
    out: dict[str, str] = {}
    count = 0
    for name, value in _walk(args if isinstance(args, dict) else {"<args>": args}, "", 0):
        count += 1
        if count > MAX_LEAVES:
            continue
        text = _text(value)
        if len(text) > MAX_LEAF_CHARS:
            text = text[:MAX_LEAF_CHARS] + f"… [{len(text) - MAX_LEAF_CHARS} more chars not kept]"
        out[name] = text
    if count > MAX_LEAVES:
        out["…"] = f"{count - MAX_LEAVES} more arguments not kept"
    return out


def is_bulk(name: str) -> bool:
    """A payload leaf (``data``, ``args.content``), which a short prompt may clip."""
    return name.rsplit(".", 1)[-1].lower() in BULK
