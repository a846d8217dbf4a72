"""Files across the boundary by tar only: packing files in, and checking every member that comes back."""
from __future__ import annotations

import io
import posixpath
import tarfile
import time
from typing import Iterable, Mapping

from . import recipe
from .errors import SandboxError


def safe_relpath(path: str) -> str:
    """``path`` as a clean path relative to the work folder, or SandboxError(invalid).

    An absolute path is accepted only inside the work folder."""
    if not isinstance(path, str) or not path or "\x00" in path:
        raise SandboxError(f"bad path {path!r}", code="invalid")
    p = path
    if p.startswith("/"):
        root = recipe.WORKDIR.rstrip("/") + "/"
        if not p.startswith(root):
            raise SandboxError(f"path {path!r} is outside {recipe.WORKDIR}", code="invalid")
        p = p[len(root):]
    parts = p.split("/")
    if any(part == ".." for part in parts):
        raise SandboxError(f"path {path!r} climbs out with '..'", code="invalid")
    norm = posixpath.normpath(p)
    if norm in (".", "") or norm.startswith("/"):
        raise SandboxError(f"path {path!r} names no file", code="invalid")
    return norm


def pack(files: Mapping[str, bytes], max_bytes: int) -> bytes:
    """A tar of ``files`` (relative path -> content) owned by the sandbox user."""
    total = sum(len(b) for b in files.values())
    if total > max_bytes:
        raise SandboxError(f"files in total {total} bytes, over the limit of {max_bytes}",
                           code="limit")
    buf = io.BytesIO()
    now = time.time()
    made: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for raw, data in files.items():
            name = safe_relpath(raw)
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise SandboxError(f"content of {raw!r} is not bytes", code="invalid")
            parent = posixpath.dirname(name)
            chain = []
            while parent and parent not in made:
                chain.append(parent)
                parent = posixpath.dirname(parent)
            for d in reversed(chain):
                tar.addfile(_info(d, tarfile.DIRTYPE, 0o755, 0, now))
                made.add(d)
            tar.addfile(_info(name, tarfile.REGTYPE, 0o644, len(data), now), io.BytesIO(bytes(data)))
    return buf.getvalue()


def _info(name: str, kind: bytes, mode: int, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size, info.mtime = kind, mode, size, mtime
    info.uid = info.gid = recipe.UID
    info.uname = info.gname = recipe.USER
    return info


def read_bounded(chunks: Iterable[bytes], max_bytes: int) -> bytes | None:
    """Join a stream of chunks; None as soon as it grows past ``max_bytes`` (stops reading)."""
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > max_bytes:
            close = getattr(chunks, "close", None)
            if close:
                close()
            return None
    return bytes(out)


class OverLimit(Exception):
    """The files of an archive together exceed a bound (``kind``: "count" or "bytes"): none comes back."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def unpack(archive: bytes, *, prefix: str = "", file_max: int, total_max: int, count_max: int | None = None,
           whole: bool = False) -> tuple[dict[str, bytes], list[str]]:
    """Regular files from ``archive`` as {path: bytes}, and a refusal line for every member
    that is not a plain, small, non-setuid file at a path inside the work folder.

    ``prefix`` is the folder (relative to the work folder) the archive's names hang from.
    More than ``count_max`` files raise OverLimit; so do more than ``total_max`` bytes of them
    when ``whole`` (otherwise the members past it are refused one by one)."""
    files: dict[str, bytes] = {}
    refused: list[str] = []
    total = 0
    try:
        tar = tarfile.open(fileobj=io.BytesIO(archive), mode="r:")
    except tarfile.TarError as exc:
        return {}, [f"{prefix or '.'}: not a readable tar archive ({exc})"]
    with tar:
        try:
            members = tar.getmembers()
        except tarfile.TarError as exc:
            return {}, [f"{prefix or '.'}: corrupt tar archive ({exc})"]
        for m in members:
            why = _refusal(m, file_max)
            shown = m.name
            if why is None:
                try:
                    rel = posixpath.join(prefix, m.name) if prefix else m.name
                    shown = rel
                    key = safe_relpath(rel)
                except SandboxError as exc:
                    why = str(exc)
            if why is None and m.isdir():
                continue
            if why is None and total + m.size > total_max:
                if whole:
                    raise OverLimit("bytes")
                why = f"files back in total over the limit of {total_max} bytes"
            if why is None and count_max is not None and len(files) >= count_max:
                raise OverLimit("count")
            if why is not None:
                refused.append(f"{shown}: {why}")
                continue
            f = tar.extractfile(m)
            data = f.read() if f else b""
            total += len(data)
            files[key] = data
    return files, refused


def _refusal(m: tarfile.TarInfo, file_max: int) -> str | None:
    name = m.name
    if name.startswith("/"):
        return "absolute path"
    if ".." in name.split("/"):
        return "path climbs out with '..'"
    if m.issym():
        return f"symbolic link (to {m.linkname!r})"
    if m.islnk():
        return f"hard link (to {m.linkname!r})"
    if m.ischr() or m.isblk():
        return "device file"
    if m.isfifo():
        return "fifo"
    if not (m.isreg() or m.isdir()):
        return f"unsupported member type {m.type!r}"
    if m.mode & 0o6000:
        return "setuid/setgid bit set"
    if m.isreg() and m.size > file_max:
        return f"file of {m.size} bytes, over the limit of {file_max}"
    return None


def check(files_and_refused: tuple[dict[str, bytes], list[str]]) -> dict[str, bytes]:
    """The files, or SandboxError(invalid) listing every refusal: for strict callers."""
    files, refused = files_and_refused
    if refused:
        raise SandboxError("refused files from the sandbox: " + "; ".join(refused), code="invalid")
    return files
