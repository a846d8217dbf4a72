"""Optional adapter for the kernel's `rules.check(k, proc, name, req)` hook: decide, log, block on ask."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec

from kernel.proc.process import Process
from kernel.rules.approvals import ApprovalBook
from kernel.rules.audit import to_event
from kernel.rules.engine import RulesEngine, engine_error
from kernel.rules.errors import RulesError
from kernel.rules.model import Call, PlanItem, PlanStep, PlanVerdict
from kernel.rules.untrusted import Taint
from syscalls.errors import ApprovalDenied, Denied

Hook = Callable[..., Any]


def request_args(req: Any) -> dict[str, Any]:
    """A syscall request Struct as a plain dict of its fields (what rules match on)."""
    if isinstance(req, dict):
        return dict(req)
    if isinstance(req, msgspec.Struct):
        return msgspec.structs.asdict(req)
    return {}


class RulesGate:
    """Builds a Call for each syscall, asks the engine, emits the audit event, and for `ask`
    opens an approval and holds the process BLOCKED until the person answers.

    Hooks (all optional) let the kernel supply what only it knows:
    `untrusted(proc, name, req) -> list[str]`, `budgets_left(proc) -> dict[str, float]`,
    `enrich(proc, name, args) -> dict` (e.g. page_url / element for browser calls),
    `user(proc) -> str`.
    """

    def __init__(self, engine: RulesEngine, book: ApprovalBook | None = None, *,
                 approval_timeout: float | None = None, untrusted: Hook | None = None,
                 budgets_left: Hook | None = None, enrich: Hook | None = None,
                 user: Hook | None = None, observe: Hook | None = None, taint: Taint | None = None,
                 sources: list[Any] | None = None, load_errors: list[RulesError] | None = None):
        self.engine = engine
        self.book = book or ApprovalBook()
        self.approval_timeout = approval_timeout
        self._untrusted = untrusted or (lambda proc, name, req: [])
        self._budgets = budgets_left or (lambda proc: {})
        self._enrich = enrich
        self._user = user or (lambda proc: "")
        self._observe = observe
        self.taint = taint or Taint()  # the untrusted text each process has read
        self.sources = sources or []  # the rules files in force (``llmos rules``)
        self.load_errors = load_errors or []

    def observe(self, proc: Any, name: str, reply: Any) -> None:
        """The kernel shows the gate every reply, so it can note the untrusted text a process sees."""
        if self._observe is not None:
            try:
                self._observe(proc, name, reply)
            except Exception:  # noqa: BLE001, S110 - noting text must never fail the call itself
                pass

    def build_call(self, proc: Any, name: str, req: Any) -> Call:
        args = request_args(req)
        if self._enrich is not None:
            args = {**args, **(self._enrich(proc, name, args) or {})}
        return Call(name=name, args=args, app=proc.app, pid=proc.pid, user=self._user(proc),
                    untrusted_args=list(self._untrusted(proc, name, req) or []),
                    budgets_left=dict(self._budgets(proc) or {}), now=time.time())

    async def check(self, k: Any, proc: Process, name: str, req: Any) -> None:
        """Return when the call may go ahead; raise Denied or ApprovalDenied otherwise."""
        try:
            call = self.build_call(proc, name, req)
        except Exception as exc:  # noqa: BLE001 - fail closed
            _emit(k, proc, {"event": "rules.decision", "effect": "deny", "syscall": name,
                            "reason": f"rules engine error: {type(exc).__name__}: {exc}"})
            raise Denied(f"rules engine error: {type(exc).__name__}") from None
        decision = self.engine.decide(call)
        _emit(k, proc, to_event(decision, call))
        if decision.effect == "allow":
            return
        if decision.effect == "deny":
            raise Denied(decision.reason or "denied by a rule")
        if self.book.consume(call):  # approved earlier for exactly this call
            return
        approval = self.book.request(call, decision.reason)
        _emit(k, proc, {"event": "approval.requested", "approval": approval.id, "syscall": name,
                        "reason": decision.reason, "args": approval.args_summary})
        proc.block()
        proc.current = f"{name} [approve {approval.id}]"  # what ps and top show while it waits
        try:
            with k.syscall_scope(proc):  # TERM ends the wait at once (Terminated)
                outcome = await self.book.wait(approval.id, self.approval_timeout)
        except BaseException:
            if self.book.cancel(approval.id):  # TERM or KILL while waiting: nobody answers it any more
                _emit(k, proc, {"event": "approval.cancelled", "approval": approval.id, "syscall": name})
            raise
        finally:
            proc.unblock()
            proc.current = name
        _emit(k, proc, {"event": "approval." + outcome, "approval": approval.id, "syscall": name})
        if outcome == "approved" and self.book.consume(call):
            return
        detail = self.book.get(approval.id)
        why = detail.deny_reason if detail is not None and detail.deny_reason else outcome
        raise ApprovalDenied(f"{name} was not approved ({why}): {decision.reason}")

    def check_plan(self, k: Any, proc: Any, items: list[tuple[str, dict[str, Any]]]) -> PlanVerdict:
        """Decide a whole plan of (syscall, args) up front; one audit event for the plan."""
        try:
            plan = [PlanItem(name=name, args=args,
                             untrusted_args=list(self._untrusted(proc, name, args) or []))
                    for name, args in items]
            verdict = self.engine.check_plan(plan, app=proc.app, pid=proc.pid, user=self._user(proc),
                                             budgets_left=dict(self._budgets(proc) or {}))
        except Exception as exc:  # noqa: BLE001 - fail closed
            verdict = PlanVerdict(ok=False, violations=[PlanStep(0, Call(name="?"), engine_error(exc))])
        _emit(k, proc, {"event": "rules.plan", "ok": verdict.ok, "steps": len(items),
                        "violations": [{"step": v.index, "syscall": v.call.name, "rule": v.decision.rule_id,
                                        "reason": v.decision.reason} for v in verdict.violations],
                        "needs_approval": [v.index for v in verdict.needs_approval]})
        return verdict

    def cancel_for(self, pid: int) -> list[str]:
        """Call when a process is killed: its pending approvals go away, its wait returns."""
        return self.book.cancel_for(pid)


def _emit(k: Any, proc: Process, event: dict[str, Any]) -> None:
    fields = {key: v for key, v in event.items() if key not in ("event", "pid")}
    try:
        k.events.emit(event["event"], proc.pid, **fields)
    except Exception:  # noqa: BLE001, S110 - logging must not change the decision
        pass

