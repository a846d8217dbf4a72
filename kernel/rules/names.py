"""The syscall names the design defines (§6), used to warn about rules that match none."""

from __future__ import annotations

FAMILIES: dict[str, tuple[str, ...]] = {
    "llm": ("chat", "complete", "json"),
    "mem": ("store", "recall", "forget", "pin"),
    "fs": ("read", "write", "list", "stat", "delete"),
    "browser": ("open", "snapshot", "click", "type", "select", "scroll", "extract", "back",
                "screenshot", "submit"),
    "tool": ("list", "call"),
    "proc": ("spawn", "wait", "kill", "send", "recv", "ps", "exit"),
    "user": ("ask", "confirm", "notify"),
}

KNOWN_SYSCALLS: frozenset[str] = frozenset(
    f"{family}.{call}" for family, calls in FAMILIES.items() for call in calls
)
