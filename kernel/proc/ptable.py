"""The process table (xv6's proc.c): pid allocation, parents and children, zombies and reaping."""
from __future__ import annotations

import collections
import contextlib
import itertools
from pathlib import Path
from typing import Iterator

from kernel.proc.process import Process

HISTORY = 1000  # reaped processes remembered for ``wait``/``ps -a``


class ProcTable:
    def __init__(self, first_pid: int = 1):
        self._procs: dict[int, Process] = {}
        self._pids = itertools.count(first_pid)
        self.reaped: collections.OrderedDict[int, Process] = collections.OrderedDict()

    def alloc_pid(self) -> int:
        return next(self._pids)

    def add(self, proc: Process) -> None:
        self._procs[proc.pid] = proc

    def get(self, pid: int) -> Process | None:
        return self._procs.get(pid) or self.reaped.get(pid)

    def live(self, pid: int) -> Process | None:
        p = self._procs.get(pid)
        return p if p is not None and p.alive else None

    def all(self) -> list[Process]:
        return list(self._procs.values())

    def __iter__(self) -> Iterator[Process]:
        return iter(list(self._procs.values()))

    def __len__(self) -> int:
        return len(self._procs)

    def children(self, pid: int) -> list[Process]:
        return [p for p in self._procs.values() if p.ppid == pid]

    def descendants(self, pid: int) -> list[Process]:
        out, frontier = [], [pid]
        while frontier:
            kids = [p for p in self._procs.values() if p.ppid in frontier]
            out += kids
            frontier = [p.pid for p in kids]
        return out

    def is_descendant(self, pid: int, ancestor: int) -> bool:
        seen = set()
        p = self._procs.get(pid)
        while p is not None and p.pid not in seen:
            if p.ppid == ancestor:
                return True
            seen.add(p.pid)
            p = self._procs.get(p.ppid)
        return False

    def reap(self, pid: int) -> Process | None:
        """Remove a dead process (a zombie) from the table, keeping its record in history."""
        p = self._procs.get(pid)
        if p is None or p.alive:
            return None
        del self._procs[pid]
        for child in self.children(pid):  # orphans are re-parented to the kernel (pid 0)
            child.ppid = 0
        self.reaped[pid] = p
        while len(self.reaped) > HISTORY:
            self.reaped.popitem(last=False)
        return p


def next_pid_on_disk(home: Path) -> int:
    """Pids are never reused within one llmos home, so workspaces and logs stay unambiguous."""
    try:
        return max(1, int((home / "state" / "next_pid").read_text().strip()))
    except (OSError, ValueError):
        return 1


def save_next_pid(home: Path, pid: int) -> None:
    with contextlib.suppress(OSError):
        (home / "state" / "next_pid").write_text(str(pid + 1))
