"""Collection names (``user:<name>``, ``app:<name>``, ``proc:<kernel>:<pid>``) and who may open them."""
from __future__ import annotations

import fnmatch
from typing import Iterable

#: what a process gets when its app declares no memory grants: its app's and its user's collections
DEFAULT_GRANTS = ("app:{app}", "user:{user}")


class MemoryDenied(PermissionError):
    """A process asked for a collection its app is not granted."""

    code = "denied"


def user_collection(user: str) -> str:
    return f"user:{user}"


def app_collection(app: str) -> str:
    return f"app:{app}"


def proc_collection(kernel_id: str, pid: int) -> str:
    return f"proc:{kernel_id}:{pid}"


class Grants:
    """The collections one process may read and write.

    ``patterns`` are the app's memory grants: exact names or globs, with
    ``{app}`` and ``{user}`` standing for the process's own (``user:{user}``,
    ``app:shared-*``).  Process collections (``proc:...``) are never granted by a
    pattern: a process reaches only its own, however broad its globs.  Names are
    matched literally, so a guessed name (``app:other``) is as denied as any.  A pattern
    starting with ``!`` takes away what the others give.  ``above`` holds the grants of the
    process's ancestors as (app, patterns): a collection must be allowed by every one of them
    too, so a child never reaches a collection its parent cannot."""

    def __init__(self, patterns: Iterable[str] | None, *, app: str, user: str, own: str,
                 above: Iterable[tuple[str, Iterable[str]]] = ()):
        self.app, self.user, self.own = app, user, own
        self.patterns = self._expand(patterns, app, user)
        self.above = tuple(self._expand(pats, a, user) for a, pats in above)

    @staticmethod
    def _expand(patterns: Iterable[str] | None, app: str, user: str) -> tuple[str, ...]:
        pats = DEFAULT_GRANTS if patterns is None else tuple(patterns)
        return tuple(p.replace("{app}", app).replace("{user}", user) for p in pats)

    @staticmethod
    def _one(patterns: tuple[str, ...], name: str) -> bool:
        plus = [p for p in patterns if not p.startswith("!")]
        minus = [p[1:] for p in patterns if p.startswith("!")]
        return any(fnmatch.fnmatchcase(name, p) for p in plus) and not any(fnmatch.fnmatchcase(name, p) for p in minus)

    def allows(self, name: str) -> bool:
        if name == self.own:
            return True
        if not isinstance(name, str) or name.startswith("proc:"):
            return False
        return all(self._one(pats, name) for pats in (self.patterns, *self.above))

    def resolve(self, name: str | None) -> str:
        """``None`` or ``"proc"`` is the process's own collection; ``"app"`` and
        ``"user"`` are shorthands for its app's and its user's; anything else is
        taken as a full name.  Raises :class:`MemoryDenied` if not granted."""
        if name in (None, "", "proc", "self"):
            return self.own
        full = {"app": app_collection(self.app), "user": user_collection(self.user)}.get(name, name)
        if not self.allows(full):
            raise MemoryDenied(f"collection {full!r} is not granted to app {self.app!r}")
        return full

    def visible(self, existing: Iterable[str]) -> list[str]:
        """The own collection first, then every granted collection in ``existing``."""
        return [self.own] + sorted(n for n in existing if n != self.own and self.allows(n))
