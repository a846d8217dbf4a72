"""Check that the llmos home is a folder llmos can write, and say in one line what is wrong when it is not."""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from kernel.config import default_home


def resolve(flag: str | None = None) -> tuple[Path, str]:
    """The home a command will use and where that choice came from (for the message)."""
    if flag:
        return Path(flag).expanduser(), "--home"
    if os.environ.get("LLMOS_HOME"):
        return default_home(), "LLMOS_HOME"
    return default_home(), "the default home"


def problem(path: Path) -> str | None:
    """None when ``path`` is (or can be made) a writable folder; otherwise what is wrong, in a few words."""
    if path.exists() and not path.is_dir():
        return "is not a folder (it is a file)"
    if not path.exists():
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot be created: {_why(exc)}"
    try:  # root passes os.access on read-only and pseudo file systems: only a real write tells
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"is not writable: {_why(exc)}"
    return None


def check(flag: str | None = None) -> str | None:
    """The one-line error for a bad home, or None."""
    path, where = resolve(flag)
    why = problem(path)
    if why is None:
        return None
    hint = "" if where == "the default home" else f" (from {where})"
    fix = "--home" if where == "--home" else "LLMOS_HOME"
    return f"llmos home {path}{hint} {why}; point {fix} at a folder you can write"


def describe(exc: OSError) -> str:
    """One line for a file-system error met later on (a sub-folder of the home that is a file, a full disk)."""
    where = exc.filename if exc.filename is not None else ""
    return f"{where}: {_why(exc)}" if where else _why(exc)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return (exc.strerror or str(exc)).lower()
