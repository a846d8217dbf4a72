"""The ``remember`` tool: how a prompt app (the assistant) stores what the person tells it, through ``mem.store``."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from drivers.tools import Tool, ToolOutput
from syscalls.errors import SyscallError

if TYPE_CHECKING:
    from kernel.kernel import Kernel

#: words that make a statement a preference rather than a plain fact
PREFERENCE = re.compile(r"\b(prefer\w*|like|likes|love|loves|hate|hates|dislike\w*|favou?rite|rather|always|never|"
                        r"want|wants|enjoy\w*|can't stand|allergic|vegetarian|vegan)\b", re.IGNORECASE)


def kind_of(text: str) -> str:
    return "preference" if PREFERENCE.search(text) else "fact"


class Remember(Tool):
    """Stores a fact or preference in the person's ``user:`` collection.  It calls ``mem.store``
    as the process that uses it, so the app's grants and the rules apply exactly as they would
    to the syscall; a preference ("I prefer aisle seats") is stored with kind ``preference``."""

    name = "remember"
    description = "Save something the user tells you about themselves (a preference or a fact) for later tasks."
    schema = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}

    def __init__(self, kernel: "Kernel"):
        self.k = kernel

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        text = args.get("text")
        if not isinstance(text, str) or not text.strip():
            return ToolOutput("remember needs a non-empty 'text'", is_error=True)
        proc = self.k.ptable.live(int(owner)) if owner.isdigit() else None
        if proc is None:
            return ToolOutput("remember is only for running processes", is_error=True)
        kind = kind_of(text)
        try:
            stored = await self.k.sys_for(proc).mem.store(text.strip(), kind=kind, collection="user")
        except SyscallError as exc:
            return ToolOutput(f"error: {exc}", is_error=True)
        return ToolOutput(f"remembered the {kind}: {text.strip()}",
                          data={"id": stored.id, "collection": stored.collection, "kind": kind})
