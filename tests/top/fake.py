"""A fake kernel for top's tests: a process table the test edits directly."""
from __future__ import annotations

import time

from kernel.api.messages import ApprovalInfo, KernelStats, ProcRow
from llmos.top.source import Snapshot, Source, SourceGone


def proc(pid: int, app: str = "assistant", state: str = "RUNNING", ppid: int = 0, tokens: int = 0,
         current: str = "", task: str = "", ended: float | None = None, exit_reason: str = "",
         exit_status: int | None = None) -> ProcRow:
    return ProcRow(pid=pid, ppid=ppid, app=app, task=task or f"task of {pid}", state=state, priority=20,
                   ctx_used=100, ctx_limit=1024, tokens_in=tokens, tokens_out=0, syscalls=pid, steps=1,
                   started=time.time() - 300, cpu_time=0.5, current=current, exit_reason=exit_reason,
                   exit_status=exit_status, result=None, tokens_per_second=float(tokens) / 10, ended=ended)


class FakeSource(Source):
    def __init__(self, procs: list[ProcRow] | None = None):
        self.procs = {p.pid: p for p in procs or []}
        self.signals: list[tuple[int, str]] = []
        self.gone = False
        self.pending: list[ApprovalInfo] = []
        self.decided: list[tuple[str, bool]] = []
        self.events_of: dict[int, list[dict]] = {}

    async def snapshot(self) -> Snapshot:
        if self.gone:
            raise SourceGone("the kernel closed the connection")
        stats = KernelStats(pid=1, home="/tmp", model="fake", policy="fair", started=0, uptime=61, slots_busy=1,
                            slots_total=4, queued=2, tokens_out=10, tokens_per_second=12.5,
                            procs=len(self.procs), by_state={})
        return Snapshot(stats, list(self.procs.values()))

    async def events(self, pid: int) -> list[dict]:
        if pid in self.events_of:
            return self.events_of[pid]
        return [{"ts": time.time(), "seq": 1, "kind": "proc.spawn", "pid": pid, "app": "assistant"},
                {"ts": time.time(), "seq": 2, "kind": "syscall", "pid": pid, "call": "llm.json"}]

    async def kill(self, pid: int, signal: str) -> None:
        if pid not in self.procs:
            raise ValueError(f"no running process {pid}")
        self.signals.append((pid, signal))
        if signal in ("KILL", "TERM"):
            del self.procs[pid]

    async def approvals(self) -> list[ApprovalInfo]:
        return list(self.pending)

    async def decide(self, approval: str, approve: bool) -> None:
        if approval not in {a.id for a in self.pending}:
            raise ValueError(f"no pending approval {approval!r}")
        self.pending = [a for a in self.pending if a.id != approval]
        self.decided.append((approval, approve))
