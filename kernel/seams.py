"""What the kernel calls on its subsystems: an ``Instrument`` base class (trio-style hooks, each a documented
no-op unless overridden) and the Protocols of the optional parts a boot step sets on the kernel.

A part that did not start is ``None`` on the kernel (its syscalls answer ``unavailable``); a part that did
start is called through these declared methods only, never probed for attributes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kernel.proc.process import Process
    from kernel.rules.approvals import ApprovalBook
    from kernel.rules.model import PlanVerdict
    from kernel.rules.untrusted import Taint


class Instrument:
    """Observes the syscall path.  Subclass and override the hooks you need; the kernel calls every hook of
    every instrument in ``k.instruments``, in order.  A hook that raises a ``SyscallError`` in
    ``syscall_before`` refuses the call (the watchdog does)."""

    async def syscall_before(self, proc: Process, name: str, req: Any) -> None:
        """Before the rules see the call; may refuse it by raising."""

    def syscall_after(self, proc: Process, name: str, reply: Any) -> None:
        """After the handler returned ``reply``; must not raise."""

    def token(self, proc: Process) -> None:
        """Once per generated token of ``proc`` (kept cheap: it runs in the decode path)."""


class Rules(Protocol):
    """The rules gate on ``k.rules`` (kernel/rules/gate.py is the one implementation)."""

    book: ApprovalBook  # approvals waiting for a person
    taint: Taint  # the untrusted text each process has read

    async def check(self, k: Any, proc: Process, name: str, req: Any) -> None:
        """Return when the call may go ahead; raise ``Denied`` or ``ApprovalDenied`` otherwise."""

    def observe(self, proc: Process, name: str, reply: Any) -> None:
        """Note the untrusted text a reply brings into the process."""

    def check_plan(self, k: Any, proc: Process, items: list[tuple[str, dict[str, Any]]]) -> PlanVerdict:
        """Decide a whole plan of ``(syscall, args)`` up front."""

    def cancel_for(self, pid: int) -> list[str]:
        """The process ended: cancel its pending approvals, return their ids."""

