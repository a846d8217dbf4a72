"""A workspace folder; paths that escape it by ``..``, absolute paths or symlinks are refused."""
from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ..errors import DriverError

MAX_FILE = 16 * 1024 * 1024


@contextlib.contextmanager
def _os_errors(path: str) -> Iterator[None]:
    """An OS error on a path (a file where a folder is needed, no space, ...) as a typed DriverError."""
    try:
        yield
    except DriverError:
        raise
    except FileNotFoundError:
        raise DriverError(f"no such file or folder on the way to {path}", code="not_found") from None
    except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
        raise DriverError(f"{path}: {exc.strerror or exc} (a file and a folder are in each other's way)",
                          code="invalid") from None
    except PermissionError:
        raise DriverError(f"{path}: permission denied", code="denied") from None
    except OSError as exc:
        raise DriverError(f"{path}: {exc.strerror or exc}", code="io") from None


class Workspace:
    def __init__(self, root: str | os.PathLike, *, max_file: int = MAX_FILE):
        self.root = Path(root).resolve()
        self.max_file = max_file

    def create(self) -> "Workspace":
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    def resolve(self, path: str) -> Path:
        """The real path for ``path`` inside the workspace, or a ``denied`` error."""
        if "\x00" in path:
            raise DriverError("path contains a NUL byte", code="invalid")
        if os.path.isabs(path) or path.startswith("~"):
            raise DriverError(f"absolute paths are outside the workspace: {path!r}", code="denied")
        parts = Path(path).parts
        if ".." in parts:
            raise DriverError(f"'..' leaves the workspace: {path!r}", code="denied")
        target = (self.root / path).resolve()  # follows symlinks, so a link out is caught below
        if target != self.root and self.root not in target.parents:
            raise DriverError(f"path resolves outside the workspace: {path!r}", code="denied")
        return target

    def rel(self, p: Path) -> str:
        return str(p.relative_to(self.root)) if p != self.root else "."

    def read(self, path: str) -> str:
        with _os_errors(path):
            p = self.resolve(path)
            if not p.is_file():
                raise DriverError(f"no such file: {path}", code="not_found")
            if p.stat().st_size > self.max_file:
                raise DriverError(f"file too large to read: {path}", code="invalid")
            return p.read_text(encoding="utf-8", errors="replace")

    def write(self, path: str, data: str, append: bool = False) -> Path:
        with _os_errors(path):
            p = self.resolve(path)
            if p == self.root or p.is_dir():
                raise DriverError(f"is a directory: {path}", code="invalid")
            size = len(data.encode())
            if size + (p.stat().st_size if append and p.exists() else 0) > self.max_file:
                raise DriverError(f"file would exceed {self.max_file} bytes: {path}", code="invalid")
            p.parent.mkdir(parents=True, exist_ok=True)
            if p.is_symlink():
                raise DriverError(f"refusing to write through a symlink: {path}", code="denied")
            with open(p, "a" if append else "w", encoding="utf-8") as f:
                f.write(data)
            return p

    def stat(self, path: str) -> dict:
        with _os_errors(path):
            p = self.resolve(path)
            if not p.exists():
                raise DriverError(f"no such file: {path}", code="not_found")
            st = p.stat()
            return {"path": self.rel(p), "kind": "dir" if p.is_dir() else "file", "size": st.st_size, "mtime": st.st_mtime}

    def list(self, path: str = ".") -> list[dict]:
        with _os_errors(path):
            p = self.resolve(path)
            if not p.is_dir():
                raise DriverError(f"not a directory: {path}", code="not_found")
            return [self.stat(self.rel(c)) for c in sorted(p.iterdir()) if not c.is_symlink()]

    def delete(self, path: str) -> None:
        with _os_errors(path):
            p = self.resolve(path)
            if p == self.root:
                raise DriverError("refusing to delete the workspace itself", code="denied")
            if not p.exists():
                raise DriverError(f"no such file: {path}", code="not_found")
            shutil.rmtree(p) if p.is_dir() else p.unlink()
