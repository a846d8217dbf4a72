"""Value types the rules engine takes and returns: Call, PlanItem, Decision, PlanVerdict."""

from __future__ import annotations

import time
from typing import Any, Literal, NamedTuple

import msgspec

Effect = Literal["allow", "deny", "ask"]
EFFECTS: tuple[str, ...] = ("allow", "deny", "ask")
# Higher wins: deny beats ask beats allow.
PRECEDENCE: dict[str, int] = {"allow": 0, "ask": 1, "deny": 2}


class Call(msgspec.Struct, kw_only=True):
    """One syscall as the kernel saw it, built for every syscall before dispatch."""

    name: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    app: str = ""
    pid: int = 0
    user: str = ""
    # Argument names (top level or dotted) whose values came from untrusted text.
    untrusted_args: list[str] = msgspec.field(default_factory=list)
    budgets_left: dict[str, float] = msgspec.field(default_factory=dict)
    # Wall-clock seconds; used for rate windows so decisions are reproducible.
    now: float = msgspec.field(default_factory=time.time)


class PlanItem(msgspec.Struct, kw_only=True):
    """One intended call in an agent's plan: a syscall name and its arguments."""

    name: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    untrusted_args: list[str] = msgspec.field(default_factory=list)


class Decision(msgspec.Struct, kw_only=True):
    """The engine's answer for one call."""

    effect: Effect
    rule_id: str | None = None
    reason: str = ""
    # Ids of the rules that matched (decide stops at the deciding rule; explain lists all).
    matched: list[str] = msgspec.field(default_factory=list)


class PlanStep(NamedTuple):
    """A plan step worth reporting: its index in the plan, the call, the decision."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index(), which nothing here calls
    call: Call
    decision: Decision


class PlanVerdict(msgspec.Struct, kw_only=True):
    """Result of check_plan: ok is False when any step would be denied."""

    ok: bool
    violations: list[PlanStep] = msgspec.field(default_factory=list)
    # Steps that will block on a person's approval ("will need approval"); not violations.
    needs_approval: list[PlanStep] = msgspec.field(default_factory=list)
    decisions: list[Decision] = msgspec.field(default_factory=list)


class Explanation(msgspec.Struct, kw_only=True):
    """Every rule that matched a call, in evaluation order, and the one that decided."""

    decision: Decision
    matched: list[dict[str, Any]] = msgspec.field(default_factory=list)
