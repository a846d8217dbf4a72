"""Files a person copies into and out of a process's workspace (``llmos run --file``, ``llmos cp``),
within the app's ``files`` scope, the same scope its ``fs`` syscalls have."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from drivers.errors import DriverError
from drivers.files.workspace import Workspace
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied

from .syscall_perm import path_in_scope

MAX_COPY = 4 * 1024 * 1024  # bytes per file: it travels in one kernel API frame


def check(app: str, permissions: Any, path: str) -> None:
    """Refuse a path the app's grants do not allow, saying which scope it has."""
    if not path or path in (".", "/"):
        raise InvalidArgument("name a file in the workspace, e.g. 'notes.txt'")
    globs = list(permissions.files) if permissions is not None else ["**"]
    if not path_in_scope(globs, path):
        raise PermissionDenied(f"app '{app}' is not granted files matching {path!r} (its files scope: "
                               f"{', '.join(globs) or 'none'}); see permissions.files in its app.toml")


def _typed(exc: DriverError) -> Exception:
    return (NotFound if exc.code == "not_found" else PermissionDenied if exc.code == "denied"
            else InvalidArgument)(str(exc))


def put(ws: Workspace, app: str, permissions: Any, path: str, data: bytes) -> int:
    """Write ``data`` to ``path`` in the workspace; returns its size."""
    check(app, permissions, path)
    if len(data) > MAX_COPY:
        raise InvalidArgument(f"{path}: {len(data)} bytes is over the {MAX_COPY} bytes a copy may carry")
    try:
        target = ws.resolve(path)
    except DriverError as exc:
        raise _typed(exc) from None
    if target == ws.root or target.is_dir():
        raise InvalidArgument(f"{path} is a folder in the workspace; name a file")
    if target.is_symlink():
        raise PermissionDenied(f"refusing to write through a symlink: {path}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    except OSError as exc:
        raise InvalidArgument(f"{path}: {exc.strerror or exc}") from None
    return len(data)


def get(ws: Workspace, app: str, permissions: Any, path: str) -> bytes:
    """The bytes of ``path`` in the workspace."""
    check(app, permissions, path)
    try:
        target = ws.resolve(path)
    except DriverError as exc:
        raise _typed(exc) from None
    if not target.is_file():
        raise NotFound(f"no file {path!r} in the workspace" + (" (it is a folder)" if target.is_dir() else ""))
    size = target.stat().st_size
    if size > MAX_COPY:
        raise InvalidArgument(f"{path}: {size} bytes is over the {MAX_COPY} bytes a copy may carry; "
                              f"the file is at {target}")
    return Path(target).read_bytes()
