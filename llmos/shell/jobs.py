"""The shell's job table: processes it started, numbered %1, %2, ... as in a Unix shell."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Job:
    n: int
    pid: int
    app: str
    task: str
    state: str = "Running"  # Running | Stopped | Done | Killed ...
    waiter: asyncio.Task[None] | None = field(default=None, repr=False)  # says when it ends (llmos/shell/commands.py)

    def line(self, current: bool = False) -> str:
        mark = "+" if current else " "
        return f"[{self.n}]{mark} {self.state:<10} {self.pid:>5}  {self.app} {self.task[:50]}"


class JobTable:
    def __init__(self) -> None:
        self.jobs: dict[int, Job] = {}
        self._next = 1

    def add(self, pid: int, app: str, task: str) -> Job:
        if not self.jobs:
            self._next = 1
        job = Job(self._next, pid, app, task)
        self.jobs[job.n] = job
        self._next += 1
        return job

    def find(self, spec: str | None) -> Job | None:
        """``%N`` is a job number, a plain number a pid; nothing means the most recent job."""
        if not spec:
            return self.current()
        try:
            if spec.startswith("%"):
                return self.jobs.get(int(spec[1:]))
            pid = int(spec)
        except ValueError:
            return None
        return next((j for j in self.jobs.values() if j.pid == pid), None)

    def current(self) -> Job | None:
        return max(self.jobs.values(), key=lambda j: j.n) if self.jobs else None

    def by_pid(self, pid: int) -> Job | None:
        return next((j for j in self.jobs.values() if j.pid == pid), None)

    def remove(self, job: Job) -> None:
        self.jobs.pop(job.n, None)

    def __iter__(self):
        return iter(sorted(self.jobs.values(), key=lambda j: j.n))

    def __len__(self) -> int:
        return len(self.jobs)
