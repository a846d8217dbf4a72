"""Errors raised while loading rules files (never while deciding: decide fails closed)."""

from __future__ import annotations


class RulesError(ValueError):
    """A rules file is malformed; carries the file, the line and the reason."""

    def __init__(self, reason: str, *, file: str = "<rules>", line: int | None = None):
        self.reason = reason
        self.file = file
        self.line = line
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {reason}")
