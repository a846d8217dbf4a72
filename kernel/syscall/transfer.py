"""Files a person copies into and out of a process's workspace (``llmos run --file``, ``llmos cp``),
within the app's ``files`` scope, the same scope its ``fs`` syscalls have."""
from __future__ import annotations

from typing import Any

from drivers.errors import DriverError
from drivers.files.workspace import Workspace
from kernel.syscall.perm import path_in_scope
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied

MAX_COPY = 4 * 1024 * 1024  # bytes per file: it travels in one kernel API frame


def check(app: str, permissions: Any, path: str) -> None:
    """Refuse a path the app's grants do not allow, saying which scope it has."""
    if not path or path in (".", "/"):
        raise InvalidArgument("name a file in the workspace, e.g. 'notes.txt'")
    globs = list(permissions.files) if permissions is not None else ["**"]
    if not path_in_scope(globs, path):
        raise PermissionDenied(f"app '{app}' is not granted files matching {path!r} (its files scope: "
                               f"{', '.join(globs) or 'none'}); see permissions.files in its app.toml")


def _typed(exc: DriverError, path: str = "") -> Exception:
    if exc.code == "not_found" and path:
        return NotFound(f"no file {path!r} in the workspace")
    return (NotFound if exc.code == "not_found" else PermissionDenied if exc.code == "denied"
            else InvalidArgument)(str(exc))


def _parts(ws: Workspace, path: str) -> list[str]:
    """A path that cannot name a place in the workspace is refused before its scope is asked."""
    try:
        return ws.parts(path)
    except DriverError as exc:
        raise _typed(exc) from None


def put(ws: Workspace, app: str, permissions: Any, path: str, data: bytes) -> int:
    """Write ``data`` to ``path`` in the workspace; returns its size.  The workspace walks the path by
    directory descriptors and never follows a link (drivers/files/workspace.py)."""
    _parts(ws, path)
    check(app, permissions, path)
    if len(data) > MAX_COPY:
        raise InvalidArgument(f"{path}: {len(data)} bytes is over the {MAX_COPY} bytes a copy may carry")
    try:
        ws.write_bytes(path, data)
    except DriverError as exc:
        raise _typed(exc) from None
    return len(data)


def get(ws: Workspace, app: str, permissions: Any, path: str) -> bytes:
    """The bytes of ``path`` in the workspace."""
    _parts(ws, path)
    check(app, permissions, path)
    try:
        info = ws.stat(path)
        if info["kind"] != "file":
            raise NotFound(f"no file {path!r} in the workspace (it is a folder)")
        if info["size"] > MAX_COPY:
            raise InvalidArgument(f"{path}: {info['size']} bytes is over the {MAX_COPY} bytes a copy may carry; "
                                  f"the file is at {ws.resolve(path)}")
        return ws.read_bytes(path)
    except DriverError as exc:
        raise _typed(exc, path) from None
