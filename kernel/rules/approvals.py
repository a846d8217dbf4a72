"""Human approvals for `ask` decisions: bound to one exact call, used once, and expiring."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import Any, Literal

import anyio
import msgspec

from kernel.rules.model import Call

Outcome = Literal["approved", "denied", "expired", "cancelled"]
State = Literal["pending", "approved", "denied", "expired", "cancelled", "used"]
_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to type back
DEFAULT_TTL_S = 300.0


def _enc_hook(obj: Any) -> Any:
    try:
        return f"<{type(obj).__name__}:{obj!r}>"
    # A hostile __repr__: the identity of the object still binds the call.
    except Exception:  # noqa: BLE001
        return f"<{type(obj).__name__}@{id(obj):x}>"


def call_hash(call: Call) -> str:
    """sha256 of the exact syscall name and its canonical (sorted-key JSON) arguments."""
    try:
        body = msgspec.json.encode(call.args, enc_hook=_enc_hook, order="sorted")
    # Keys that cannot be sorted or encoded: still exact, just not canonical.
    except Exception:  # noqa: BLE001
        try:
            body = repr(call.args).encode("utf-8", "backslashreplace")
        except Exception:  # noqa: BLE001 - never raise into the kernel
            body = f"<unrepresentable@{id(call.args):x}>".encode()
    return hashlib.sha256(call.name.encode() + b"\x00" + body).hexdigest()


class UnknownApproval(KeyError):
    """No pending approval has that id (never existed, already decided, or expired)."""


class Approval(msgspec.Struct, kw_only=True):
    """One request for a person's decision about one exact call."""

    id: str
    call_hash: str
    created: float
    expires: float
    name: str
    pid: int
    app: str
    reason: str
    args_summary: dict[str, str] = msgspec.field(default_factory=dict)  # shortened, for the event log
    leaves: dict[str, str] = msgspec.field(default_factory=dict)  # every argument whole (review.py)
    untrusted: list[str] = msgspec.field(default_factory=list)  # leaves derived from untrusted text
    state: State = "pending"
    deny_reason: str = ""


class ApprovalBook:
    """Pending and granted approvals. Call it from the kernel's event loop (not thread-safe)."""

    def __init__(self, *, ttl: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.time,
                 id_length: int = 6):
        self.ttl = ttl
        self.clock = clock
        self.id_length = id_length
        self._items: dict[str, Approval] = {}
        self._events: dict[str, anyio.Event] = {}

    # ---- bookkeeping ---------------------------------------------------------------
    def _new_id(self) -> str:
        while True:
            aid = "".join(secrets.choice(_ID_ALPHABET) for _ in range(self.id_length))
            if aid not in self._items:
                return aid

    def _settle(self, approval: Approval, state: State) -> None:
        approval.state = state
        event = self._events.pop(approval.id, None)
        if event is not None:
            event.set()

    def _expire(self) -> None:
        now = self.clock()
        for approval in list(self._items.values()):
            if approval.state in ("pending", "approved") and now >= approval.expires:
                self._settle(approval, "expired")
            settled = approval.state not in ("pending", "approved")
            # Settled approvals are kept a while so a late `wait` still learns the outcome.
            if settled and approval.id not in self._events and now >= approval.expires + self.ttl:
                del self._items[approval.id]

    def get(self, approval_id: str) -> Approval | None:
        self._expire()
        return self._items.get(approval_id)

    # ---- the flow ------------------------------------------------------------------
    def request(self, call: Call, reason: str, *, ttl: float | None = None) -> Approval:
        """Open a pending approval for this exact call; the process then BLOCKS on wait()."""
        from kernel.rules.audit import summarise_args
        from kernel.rules.review import leaves

        self._expire()
        now = self.clock()
        approval = Approval(
            id=self._new_id(), call_hash=call_hash(call), created=now,
            expires=now + (self.ttl if ttl is None else ttl), name=call.name,
            pid=call.pid, app=call.app, reason=reason, args_summary=summarise_args(call),
            leaves=leaves(call.args),
            untrusted=[str(u) for u in call.untrusted_args] if isinstance(call.untrusted_args, list) else [],
        )
        self._items[approval.id] = approval
        return approval

    def _pending(self, approval_id: str) -> Approval:
        self._expire()
        approval = self._items.get(approval_id)
        if approval is None or approval.state != "pending":
            state = approval.state if approval else "unknown"
            raise UnknownApproval(f"no pending approval {approval_id!r} ({state})")
        return approval

    def approve(self, approval_id: str) -> Approval:
        """The person said yes (`approve ID`). Raises UnknownApproval."""
        approval = self._pending(approval_id)
        self._settle(approval, "approved")
        return approval

    def deny(self, approval_id: str, reason: str = "") -> Approval:
        """The person said no (`deny ID [reason]`). Raises UnknownApproval."""
        approval = self._pending(approval_id)
        approval.deny_reason = reason or "denied by the user"
        self._settle(approval, "denied")
        return approval

    def consume(self, call: Call) -> bool:
        """True once for an approved, unexpired approval of exactly this call by this process."""
        self._expire()
        digest = call_hash(call)
        for approval in self._items.values():
            if (approval.state == "approved" and approval.call_hash == digest
                    and approval.pid == call.pid and approval.app == call.app):
                approval.state = "used"
                return True
        return False

    def pending(self) -> list[Approval]:
        """Approvals waiting for the person, oldest first."""
        self._expire()
        return sorted((a for a in self._items.values() if a.state == "pending"),
                      key=lambda a: a.created)

    def cancel(self, approval_id: str) -> bool:
        """Withdraw one approval that is still pending or unused (its call will not be made)."""
        approval = self._items.get(approval_id)
        if approval is None or approval.state not in ("pending", "approved"):
            return False
        self._settle(approval, "cancelled")
        return True

    def cancel_for(self, pid: int) -> list[str]:
        """The process was killed: drop its pending and unused approvals, wake its waiters."""
        cancelled = []
        for approval in list(self._items.values()):
            if approval.pid == pid and approval.state in ("pending", "approved"):
                self._settle(approval, "cancelled")
                cancelled.append(approval.id)
        return cancelled

    async def wait(self, approval_id: str, timeout: float | None = None) -> Outcome:
        """Block until the person decides, the approval expires, or its process is killed.

        Returns "approved", "denied", "expired" or "cancelled". A timeout expires it."""
        approval = self._items.get(approval_id)
        if approval is None:
            raise UnknownApproval(f"no approval {approval_id!r}")
        if approval.state == "pending":
            event = self._events.get(approval_id)
            if event is None:
                event = self._events[approval_id] = anyio.Event()
            limit = max(0.0, approval.expires - self.clock())
            if timeout is not None:
                limit = min(limit, timeout)
            with anyio.move_on_after(limit):
                await event.wait()
            if approval.state == "pending":
                self._settle(approval, "expired")
        self._expire()
        state = approval.state
        if state == "used":
            return "approved"
        return state if state in ("approved", "denied", "cancelled") else "expired"
