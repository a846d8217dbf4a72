"""The ``fs`` syscalls (xv6's sysfile.c): files inside the process's workspace, within its scopes."""
from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.proc.process import Process
from kernel.syscall.grantglob import path_match
from kernel.syscall.perm import path_granted, refusal
from syscalls import Empty, fs
from syscalls.errors import PermissionDenied

if TYPE_CHECKING:
    from kernel.kernel import Kernel


def _scope(proc: Process, path: str) -> None:
    if not path_granted(proc, path):
        raise PermissionDenied(refusal(proc, "files", path, f"files matching {path!r}", path_match))


async def read(k: "Kernel", proc: Process, req: fs.Read) -> fs.FileData:
    _scope(proc, req.path)
    data = proc.workspace.read(req.path)
    return fs.FileData(path=req.path, data=data, size=len(data.encode()))


async def write(k: "Kernel", proc: Process, req: fs.Write) -> fs.FileInfo:
    _scope(proc, req.path)
    proc.workspace.write(req.path, req.data, append=req.append)
    return fs.FileInfo(**proc.workspace.stat(req.path))


async def list_(k: "Kernel", proc: Process, req: fs.List) -> fs.Listing:
    entries = [fs.FileInfo(**e) for e in proc.workspace.list(req.path) if path_granted(proc, e["path"])]
    return fs.Listing(path=req.path, entries=entries)


async def stat(k: "Kernel", proc: Process, req: fs.Stat) -> fs.FileInfo:
    _scope(proc, req.path)
    return fs.FileInfo(**proc.workspace.stat(req.path))


async def delete(k: "Kernel", proc: Process, req: fs.Delete) -> Empty:
    _scope(proc, req.path)
    proc.workspace.delete(req.path)
    return Empty()
