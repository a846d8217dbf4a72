"""Fine-grained grants beyond syscall names: file scopes, tools, apps to spawn, memory collections."""
from __future__ import annotations

import fnmatch
import posixpath

from .proc import Process


def _globs(proc: Process, field: str, default: list[str]) -> list[str]:
    return default if proc.permissions is None else getattr(proc.permissions, field)


def path_granted(proc: Process, path: str) -> bool:
    return path_in_scope(_globs(proc, "files", ["**"]), path)


def path_in_scope(globs: list[str], path: str) -> bool:
    """Whether a workspace path matches one of an app's ``files`` globs."""
    norm = posixpath.normpath(path.lstrip("./") or ".")
    return any(fnmatch.fnmatchcase(norm, g) or g in ("**", "*") for g in globs)


def tool_granted(proc: Process, tool: str) -> bool:
    return any(fnmatch.fnmatchcase(tool, g) for g in _globs(proc, "tools", ["*"]))


def spawn_granted(proc: Process, app: str) -> bool:
    return any(fnmatch.fnmatchcase(app, g) for g in _globs(proc, "spawn", ["*"]))


def memory_granted(proc: Process, collection: str) -> bool:
    return any(fnmatch.fnmatchcase(collection, g) for g in _globs(proc, "memory", ["*"]))
