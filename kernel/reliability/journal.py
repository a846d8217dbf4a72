"""The kernel's journal: append-only, length-prefixed, checksummed records, fsynced and compacted.

A record on disk is ``MAGIC (2 bytes) | length (4, big-endian) | crc32 (4) | payload``, where the
payload is one msgspec-JSON ``Record``.  ``read`` walks the file and returns every intact record;
a torn tail (a crash mid-write) or a corrupted record is skipped and reported as a ``Damage``, and
the walk resynchronises on the next ``MAGIC``: a bad byte never stops a boot.
"""
from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path
from typing import Any, Literal

import msgspec

MAGIC = b"\xa7\x1b"
_HEAD = struct.Struct(">2sII")
MAX_RECORD = 16 * 1024 * 1024
Kind = Literal["boot", "spawn", "exit", "ctx", "sandbox"]


class Record(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One journal entry.  ``kind`` says which fields matter:
    boot (ts, boot), spawn (pid ppid app task priority restart engine user ts), exit (pid reason status result
    error ts tokens_in tokens_out syscalls), ctx (pid data: a memory context's bytes), sandbox (boot, task: a
    sandbox kernel id this boot used, so the next boot can remove its orphaned containers)."""

    kind: Kind
    ts: float = 0.0
    boot: str = ""
    pid: int = 0
    ppid: int = 0
    app: str = ""
    task: str = ""
    priority: int = 20
    restart: str = "never"
    user: str = ""  # whose memory a process used, when not the kernel's user
    engine: str = ""  # the engine a process ran on (kernel/sched/engines.py); "" in journals from before
    reason: str = ""
    status: int | None = None
    result: str | None = None
    error: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    syscalls: int = 0
    started: float = 0.0
    data: bytes = b""


class Damage(msgspec.Struct):
    """A stretch of the journal that could not be read: where, how long, and why."""

    offset: int
    length: int
    why: str


_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(Record)


def frame(rec: Record) -> bytes:
    payload = _enc.encode(rec)
    return _HEAD.pack(MAGIC, len(payload), zlib.crc32(payload)) + payload


def parse(data: bytes) -> tuple[list[Record], list[Damage]]:
    """Every intact record in ``data`` and the damaged stretches between them."""
    out: list[Record] = []
    damage: list[Damage] = []
    pos, n = 0, len(data)
    bad_from: int | None = None
    bad_why = ""

    def skip_to_next(start: int, why: str) -> int:
        nonlocal bad_from, bad_why
        if bad_from is None:
            bad_from, bad_why = start, why
        nxt = data.find(MAGIC, start + 1)
        return n if nxt < 0 else nxt

    while pos < n:
        if n - pos < _HEAD.size:
            pos = skip_to_next(pos, "torn record header at the end")
            continue
        magic, length, crc = _HEAD.unpack_from(data, pos)
        if magic != MAGIC:
            pos = skip_to_next(pos, "bad magic")
            continue
        if length > MAX_RECORD:
            pos = skip_to_next(pos, f"implausible length {length}")
            continue
        end = pos + _HEAD.size + length
        if end > n:
            pos = skip_to_next(pos, "torn record at the end")
            continue
        payload = data[pos + _HEAD.size:end]
        if zlib.crc32(payload) != crc:
            pos = skip_to_next(pos, "checksum mismatch")
            continue
        try:
            rec = _dec.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            pos = skip_to_next(pos, f"undecodable record: {exc}")
            continue
        if bad_from is not None:
            damage.append(Damage(bad_from, pos - bad_from, bad_why))
            bad_from = None
        out.append(rec)
        pos = end
    if bad_from is not None:
        damage.append(Damage(bad_from, n - bad_from, bad_why))
    return out, damage


class Journal:
    """The journal file of one llmos home.  ``append`` writes and fsyncs one record (thread-safe);
    ``rewrite`` replaces the whole file atomically (compaction)."""

    def __init__(self, path: str | Path, *, fsync: bool = True):
        self.path = Path(path)
        self.fsync = fsync
        self._lock = threading.Lock()
        self._f: Any = None
        self.size = 0
        self.appended = 0

    def read(self) -> tuple[list[Record], list[Damage]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return [], []
        return parse(data)

    def open(self) -> Journal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.path, "ab", buffering=0)
        self.size = self._f.tell()
        return self

    def append(self, *recs: Record, sync: bool = True) -> None:
        blob = b"".join(frame(r) for r in recs)
        with self._lock:
            if self._f is None:
                raise OSError("journal is closed")
            self._f.write(blob)
            if sync and self.fsync:
                os.fsync(self._f.fileno())
            self.size += len(blob)
            self.appended += len(recs)

    def rewrite(self, recs: list[Record]) -> None:
        """Write ``recs`` as the whole journal: to a temp file, fsync, rename over, fsync the folder."""
        tmp = self.path.with_name(self.path.name + ".compact")
        blob = b"".join(frame(r) for r in recs)
        with self._lock:
            with open(tmp, "wb") as f:
                f.write(blob)
                f.flush()
                if self.fsync:
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
            if self.fsync:
                fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            if self._f is not None:
                self._f.close()
                self._f = open(self.path, "ab", buffering=0)
            self.size = len(blob)

    def close(self) -> None:
        with self._lock:
            if self._f is not None:
                self._f.close()
                self._f = None
