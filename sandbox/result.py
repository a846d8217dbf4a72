"""ExecResult, and the bounded output buffers that fill it."""
from __future__ import annotations

import msgspec

# Why a run was cut short.  "" means it ended by itself.
KILLED = ("", "timeout", "oom", "pids", "output", "released")

TRUNCATION_MARKER = "\n[llmos: output truncated: first {kept} of {total} bytes kept]\n"


class ExecResult(msgspec.Struct, kw_only=True):
    """What one sandboxed run did.

    ``killed``: ``timeout`` (wall clock ran out), ``oom`` (memory limit), ``pids``
    (process limit hit, typically a fork bomb, then the clock ran out), ``output``
    (far more output than the bound, so the container was stopped), ``released``
    (its owner was released mid-run), or "".  ``truncated`` says some output was
    dropped; the kept text then ends with a line starting ``[llmos: output truncated``.
    ``files_out`` holds the collected files that passed the checks; ``refused`` one
    line per file that did not (path: reason).  ``cpu_s`` is measured from the container's
    cgroup; where it cannot be read it is the upper bound, wall time times the CPU share."""

    exit_code: int
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    duration_s: float = 0.0
    killed: str = ""
    cpu_s: float = 0.0  # CPU seconds the run used (all its processes), for the kernel's budget
    files_out: dict[str, bytes] = msgspec.field(default_factory=dict)
    refused: list[str] = msgspec.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.killed


class BoundedBuffer:
    """Keeps the first ``bound`` bytes of a stream and counts the rest."""

    def __init__(self, bound: int):
        self.bound = bound
        self.kept = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.bound - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.kept)

    def text(self) -> str:
        s = self.kept.decode("utf-8", errors="replace")
        if self.truncated:
            s += TRUNCATION_MARKER.format(kept=len(self.kept), total=self.total)
        return s
