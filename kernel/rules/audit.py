"""Turn a decision into an audit event dict for the kernel's event log (short, no secrets dump)."""

from __future__ import annotations

import reprlib
from typing import Any

from kernel.rules.model import Call, Decision

MAX_VALUE_CHARS = 80
MAX_ARGS = 16


_REPR = reprlib.Repr()
_REPR.maxstring = MAX_VALUE_CHARS
_REPR.maxother = MAX_VALUE_CHARS
_REPR.maxlevel = 3


def _short(value: Any) -> str:
    try:
        text = value[: MAX_VALUE_CHARS + 1] if isinstance(value, str) else _REPR.repr(value)
    # A hostile __repr__ must not break logging or approvals.
    except Exception as exc:  # noqa: BLE001
        text = f"<{type(value).__name__}: unrepresentable ({type(exc).__name__})>"
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def summarise_args(call: Call) -> dict[str, str]:
    """Each argument truncated to a readable length; untrusted ones are marked."""
    args = call.args if isinstance(call.args, dict) else {"<args>": call.args}
    untrusted = set(call.untrusted_args) if isinstance(call.untrusted_args, list) else set()
    out: dict[str, str] = {}
    for i, (key, value) in enumerate(args.items()):
        if i >= MAX_ARGS:
            out["…"] = f"{len(args) - MAX_ARGS} more"
            break
        text = _short(value)
        tainted = key in untrusted or any(str(u).startswith(f"{key}.") for u in untrusted)
        out[str(key)] = f"{text} [untrusted]" if tainted else text
    return out


def to_event(decision: Decision, call: Call) -> dict[str, Any]:
    """The event the kernel logs for every decision (structlog-friendly flat keys)."""
    try:
        args = summarise_args(call)
    except Exception as exc:  # noqa: BLE001 - audit must never take the kernel down
        args = {"<error>": f"{type(exc).__name__}: {exc}"}
    return {
        "event": "rules.decision",
        "effect": decision.effect,
        "rule": decision.rule_id,
        "reason": decision.reason,
        "matched": list(decision.matched),
        "syscall": call.name,
        "args": args,
        "untrusted_args": list(call.untrusted_args) if isinstance(call.untrusted_args, list) else [],
        "pid": call.pid,
        "app": call.app,
        "user": call.user,
        "time": call.now,
    }
