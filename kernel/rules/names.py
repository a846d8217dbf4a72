"""The syscall names rules may match, derived from the syscall table (syscalls/table.py), so they cannot drift."""
from __future__ import annotations

from syscalls.table import TABLE

KNOWN_SYSCALLS: frozenset[str] = frozenset(TABLE)
