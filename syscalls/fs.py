"""The ``fs`` family: files inside the process's workspace only."""
from __future__ import annotations

from .base import Path, Reply, Request, Text


class Read(Request, tag="fs.read"):
    path: Path


class Write(Request, tag="fs.write"):
    path: Path
    data: Text
    append: bool = False


class List(Request, tag="fs.list"):
    path: Path = "."


class Stat(Request, tag="fs.stat"):
    path: Path


class Delete(Request, tag="fs.delete"):
    path: Path


class FileInfo(Reply):
    path: str
    kind: str  # "file" | "dir"
    size: int
    mtime: float


class FileData(Reply):
    path: str
    data: str
    size: int


class Listing(Reply):
    path: str
    entries: list[FileInfo]
