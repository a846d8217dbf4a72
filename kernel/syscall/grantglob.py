"""Grant patterns: what a glob in ``[permissions]`` matches (docs/apps.md, "Grant patterns").

Names (syscalls, tools, apps to spawn, memory collections) match with shell globs over the
whole name.  Workspace paths match component by component: ``*`` and ``?`` never cross a
``/``, ``**`` as a whole component stands for any number of folders (none included), and a
leading dot is an ordinary character (``notes/*`` does not match ``.notes/x``; ``*`` does match
``.env``).  In every list a pattern that starts with ``!`` takes away what the others give:
a value is granted when some plain pattern matches it and no ``!`` pattern does.
"""
from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Iterable

Match = Callable[[str, str], bool]  # (value, pattern) -> bool


def name_match(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def path_parts(path: str) -> list[str] | None:
    """A workspace path as its components (``.`` and empty ones dropped), or None when it is not a
    workspace path at all (absolute, NUL, or leaving by ``..``)."""
    if not isinstance(path, str) or "\x00" in path or path.startswith(("/", "~")):
        return None
    parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".")]
    return None if ".." in parts else parts


def path_match(path: str, pattern: str) -> bool:
    """Whether workspace ``path`` matches ``pattern`` (the semantics in the module docstring)."""
    parts = path_parts(path)
    if parts is None:
        return False
    pat = [p for p in pattern.split("/") if p not in ("", ".")]
    # reach[j]: the first i pattern components can match the first j path components
    reach = [True] + [False] * len(parts)
    for comp in pat:
        if comp == "**":
            for j in range(1, len(parts) + 1):
                reach[j] = reach[j] or reach[j - 1]
            continue
        nxt = [False] * (len(parts) + 1)
        for j in range(1, len(parts) + 1):
            nxt[j] = reach[j - 1] and fnmatch.fnmatchcase(parts[j - 1], comp)
        reach = nxt
    return reach[len(parts)]


def allowed(patterns: Iterable[str], value: str, match: Match = name_match) -> bool:
    """Granted by one list: some plain pattern matches ``value`` and no ``!`` pattern does."""
    plus: list[str] = []
    minus: list[str] = []
    for p in patterns:
        (minus if p.startswith("!") else plus).append(p.removeprefix("!"))
    return any(match(value, p) for p in plus) and not any(match(value, p) for p in minus)
