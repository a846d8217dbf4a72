"""A workspace folder, reached only through directory file descriptors so no path, link or race leaves it.

Every operation walks from the workspace's own folder one component at a time with
``os.open(name, O_DIRECTORY | O_NOFOLLOW, dir_fd=parent)`` and acts on the last one with
``dir_fd`` as well (``openat``-style).  A link anywhere on the way is refused, and a folder
swapped for a link while a call runs makes that call fail instead of following it: the
kernel never holds a path string that something else can re-point.
"""
from __future__ import annotations

import builtins
import contextlib
import errno
import os
import shutil
import stat as st
from collections.abc import Iterator
from pathlib import Path

from ..errors import DriverError

MAX_FILE = 16 * 1024 * 1024
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TMP = ".llmos-tmp-"  # prefix of a file being written (renamed over its target when complete)


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
        if exc.errno == errno.ELOOP:
            raise DriverError(f"{path}: a link on the way is not followed (it could lead outside the workspace)",
                              code="denied") from None
        raise DriverError(f"{path}: {exc.strerror or exc}", code="io") from None


class Workspace:
    def __init__(self, root: str | os.PathLike, *, max_file: int = MAX_FILE):
        self.root = Path(root).resolve()
        self.max_file = max_file

    def create(self) -> "Workspace":
        self.root.mkdir(parents=True, exist_ok=True)
        return self

    # -- paths -----------------------------------------------------------------------------------
    def parts(self, path: str) -> list[str]:
        """``path`` as components inside the workspace, or a ``denied``/``invalid`` error."""
        if not isinstance(path, str) or "\x00" in path:
            raise DriverError("path contains a NUL byte", code="invalid")
        if os.path.isabs(path) or path.startswith("~"):
            raise DriverError(f"absolute paths are outside the workspace: {path!r}", code="denied")
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise DriverError(f"'..' leaves the workspace: {path!r}", code="denied")
        return parts

    def resolve(self, path: str) -> Path:
        """Where ``path`` lies (for messages and checks); never open it by this name, it may change."""
        return self.root.joinpath(*self.parts(path))

    def rel(self, p: Path) -> str:
        return str(p.relative_to(self.root)) if p != self.root else "."

    @contextlib.contextmanager
    def _dir(self, parts: list[str], *, create: bool = False) -> Iterator[int]:
        """A descriptor of the folder ``parts`` (made on the way when ``create``), walked without links."""
        fd = os.open(self.root, _DIR)
        try:
            for name in parts:
                try:
                    nxt = os.open(name, _DIR, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(name, 0o755, dir_fd=fd)
                    nxt = os.open(name, _DIR, dir_fd=fd)
                except NotADirectoryError:  # O_NOFOLLOW on a link to a folder answers ENOTDIR or ELOOP
                    if st.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                        raise OSError(errno.ELOOP, "link") from None
                    raise
                os.close(fd)
                fd = nxt
            yield fd
        finally:
            os.close(fd)

    def _split(self, path: str) -> tuple[list[str], str]:
        parts = self.parts(path)
        if not parts:
            raise DriverError(f"{path!r} is the workspace folder itself", code="invalid")
        return parts[:-1], parts[-1]

    # -- files -----------------------------------------------------------------------------------
    def read_bytes(self, path: str) -> bytes:
        with _os_errors(path):
            folder, name = self._split(path)
            with self._dir(folder) as d:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=d)
                with os.fdopen(fd, "rb") as f:
                    info = os.fstat(f.fileno())
                    if not st.S_ISREG(info.st_mode):
                        raise DriverError(f"no such file: {path}", code="not_found")
                    if info.st_size > self.max_file:
                        raise DriverError(f"file too large to read: {path}", code="invalid")
                    data = f.read(self.max_file + 1)
            if len(data) > self.max_file:
                raise DriverError(f"file too large to read: {path}", code="invalid")
            return data

    def read(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def write(self, path: str, data: str, append: bool = False) -> Path:
        return self.write_bytes(path, data.encode(), append=append)

    def write_bytes(self, path: str, data: bytes, *, append: bool = False) -> Path:
        """Write (or append to) a file; a new content replaces the old in one rename, so a reader
        sees the old file or the new one, never half of it."""
        with _os_errors(path):
            folder, name = self._split(path)
            if name.startswith(_TMP):
                raise DriverError(f"names starting with {_TMP!r} are reserved: {path}", code="invalid")
            with self._dir(folder, create=True) as d:
                try:
                    old = os.stat(name, dir_fd=d, follow_symlinks=False)
                except FileNotFoundError:
                    old = None
                if old is not None and st.S_ISDIR(old.st_mode):
                    raise DriverError(f"is a directory: {path}", code="invalid")
                if old is not None and st.S_ISLNK(old.st_mode) and append:
                    raise DriverError(f"refusing to write through a symlink: {path}", code="denied")
                if len(data) + (old.st_size if append and old is not None else 0) > self.max_file:
                    raise DriverError(f"file would exceed {self.max_file} bytes: {path}", code="invalid")
                if append:
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
                                 | os.O_NONBLOCK, 0o644, dir_fd=d)  # a fifo fails at once instead of blocking
                    with os.fdopen(fd, "wb") as f:
                        if not st.S_ISREG(os.fstat(f.fileno()).st_mode):
                            raise DriverError(f"not a plain file: {path}", code="invalid")
                        f.write(data)
                else:
                    tmp = f"{_TMP}{os.getpid()}-{os.urandom(6).hex()}"
                    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                                 0o644, dir_fd=d)
                    try:
                        with os.fdopen(fd, "wb") as f:
                            f.write(data)
                        os.rename(tmp, name, src_dir_fd=d, dst_dir_fd=d)  # replaces a link, never follows it
                    except BaseException:
                        with contextlib.suppress(OSError):
                            os.unlink(tmp, dir_fd=d)
                        raise
            return self.resolve(path)

    def stat(self, path: str) -> dict:
        with _os_errors(path):
            parts = self.parts(path)
            if not parts:
                with self._dir([]) as d:
                    info = os.fstat(d)
            else:
                with self._dir(parts[:-1]) as d:
                    info = os.stat(parts[-1], dir_fd=d, follow_symlinks=False)
                if st.S_ISLNK(info.st_mode):
                    raise DriverError(f"{path}: a link is not followed", code="denied")
            return {"path": "/".join(parts) or ".", "kind": "dir" if st.S_ISDIR(info.st_mode) else "file",
                    "size": info.st_size, "mtime": info.st_mtime}

    def list(self, path: str = ".") -> list[dict]:
        with _os_errors(path):
            parts = self.parts(path)
            out = []
            with self._dir(parts) as d:
                for e in sorted(os.scandir(d), key=lambda e: e.name):
                    info = e.stat(follow_symlinks=False)
                    if st.S_ISLNK(info.st_mode) or e.name.startswith(_TMP):
                        continue
                    out.append({"path": "/".join([*parts, e.name]),
                                "kind": "dir" if st.S_ISDIR(info.st_mode) else "file",
                                "size": info.st_size, "mtime": info.st_mtime})
            return out

    def files(self, path: str, limit: int) -> builtins.list[str]:  # builtins: `list` here is the method above
        """Plain files at or under ``path`` (links skipped), at most ``limit``, as workspace paths;
        at most ``10 * limit`` folders are walked."""
        with _os_errors(path):
            parts = self.parts(path)
            if parts:
                with self._dir(parts[:-1]) as d:
                    info = os.stat(parts[-1], dir_fd=d, follow_symlinks=False)
                if st.S_ISREG(info.st_mode):
                    return ["/".join(parts)]
                if not st.S_ISDIR(info.st_mode):
                    raise DriverError(f"no such file in the workspace: {path}", code="not_found")
            out: list[str] = []
            todo, walked = [parts], 0
            while todo and len(out) < limit and walked < 10 * limit:
                here = todo.pop(0)
                walked += 1
                for e in self.list("/".join(here) or "."):
                    if e["kind"] == "dir":
                        todo.append(e["path"].split("/"))
                    elif len(out) < limit:
                        out.append(e["path"])
            return sorted(out)

    def delete(self, path: str) -> None:
        with _os_errors(path):
            parts = self.parts(path)
            if not parts:
                raise DriverError("refusing to delete the workspace itself", code="denied")
            with self._dir(parts[:-1]) as d:
                try:
                    info = os.stat(parts[-1], dir_fd=d, follow_symlinks=False)
                except FileNotFoundError:
                    raise DriverError(f"no such file: {path}", code="not_found") from None
                if st.S_ISDIR(info.st_mode):
                    shutil.rmtree(parts[-1], dir_fd=d)  # fd-based on Linux: links inside are removed, not followed
                else:
                    os.unlink(parts[-1], dir_fd=d)
