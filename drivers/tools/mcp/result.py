"""An MCP tool result as a ``ToolOutput``: text for the context, structured content as data, errors flagged."""
from __future__ import annotations

import json
from typing import Any

from ..base import ToolOutput

MAX_OUTPUT = 64 * 1024  # characters of text a result may put into a process's context


def _block_text(block: Any) -> str:
    kind = getattr(block, "type", "")
    if kind == "text":
        return block.text
    if kind in ("image", "audio"):
        return f"[{kind}: {getattr(block, 'mime_type', '?')}, {len(getattr(block, 'data', '') or '') * 3 // 4} bytes]"
    if kind == "resource_link":
        return f"[resource: {block.uri}]"
    if kind == "resource":
        res = block.resource
        text = getattr(res, "text", None)
        return text if text is not None else f"[resource: {res.uri}, binary]"
    return f"[{kind or 'content'}]"


def to_output(result: Any) -> ToolOutput:
    """Text blocks joined (others described), ``structured_content`` as ``data``, ``is_error`` kept."""
    text = "\n".join(_block_text(b) for b in (result.content or []))
    data = result.structured_content
    if not text and data is not None:
        text = json.dumps(data, ensure_ascii=False, default=str)
    if len(text) > MAX_OUTPUT:
        text = text[:MAX_OUTPUT] + f"\n[… {len(text) - MAX_OUTPUT} more characters cut]"
    return ToolOutput(text, data=data, is_error=bool(result.is_error), untrusted=True)
