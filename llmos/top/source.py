"""Where top gets its data: an interface, the live kernel client behind it, and errors it may raise."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path

from kernel.api.messages import ApprovalInfo, KernelStats, ProcRow

from ..client import Client, KernelError, NotRunning


class SourceGone(Exception):
    """The kernel went away (halted, crashed, or never ran)."""


@dataclass
class Snapshot:
    stats: KernelStats
    procs: list[ProcRow] = field(default_factory=list)


class Source(abc.ABC):
    """What top needs from a kernel; a fake one drives the tests."""

    @abc.abstractmethod
    async def snapshot(self) -> Snapshot:
        """Kernel stats and the process table; raises ``SourceGone`` when the kernel is unreachable."""

    @abc.abstractmethod
    async def events(self, pid: int) -> list[dict]:
        """The process's recent events, oldest first."""

    @abc.abstractmethod
    async def kill(self, pid: int, signal: str) -> None:
        """Send ``signal``; raises ``ValueError`` with a message when the kernel refuses."""

    @abc.abstractmethod
    async def approvals(self) -> list[ApprovalInfo]:
        """The approvals waiting for a person."""

    @abc.abstractmethod
    async def decide(self, approval: str, approve: bool) -> None:
        """Approve or deny; raises ``ValueError`` with a message when the kernel refuses."""

    async def aclose(self) -> None:
        return None


class LiveSource(Source):
    """The kernel daemon of an llmos home, through the API client."""

    def __init__(self, home: str | Path | None = None):
        self.client = Client(home)

    async def snapshot(self) -> Snapshot:
        try:
            return Snapshot(await self.client.status(), await self.client.ps(all=True))
        except NotRunning as exc:
            raise SourceGone(exc.message) from None

    async def events(self, pid: int) -> list[dict]:
        try:
            return await self.client.logs(pid)
        except NotRunning as exc:
            raise SourceGone(exc.message) from None
        except KernelError:
            return []

    async def kill(self, pid: int, signal: str) -> None:
        try:
            await self.client.kill(pid, signal)
        except NotRunning as exc:
            raise SourceGone(exc.message) from None
        except KernelError as exc:
            raise ValueError(exc.message) from None

    async def approvals(self) -> list[ApprovalInfo]:
        try:
            return await self.client.approvals()
        except NotRunning as exc:
            raise SourceGone(exc.message) from None

    async def decide(self, approval: str, approve: bool) -> None:
        try:
            await (self.client.approve(approval) if approve else self.client.deny(approval, "denied in top"))
        except NotRunning as exc:
            raise SourceGone(exc.message) from None
        except KernelError as exc:
            raise ValueError(exc.message) from None

    async def aclose(self) -> None:
        await self.client.aclose()
