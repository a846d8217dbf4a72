"""One item's outcome, and which failures are the system's (load, engine, crash, budget) and which the model's."""
from __future__ import annotations

import msgspec

# Exit reasons and error codes that say the system failed, not the model's answer.
SYSTEM_REASONS = ("crashed", "killed", "terminated", "timeout", "spawn", "checker")
SYSTEM_PREFIXES = ("budget:",)
SYSTEM_CODES = ("timeout", "unavailable", "budget", "killed", "terminated", "permission", "denied",
                "approval_denied", "busy", "engine")


class Run(msgspec.Struct):
    """What a backend reports for one process (or the last of an item's turns, with costs summed)."""

    exit_reason: str
    result: str | None = None
    error: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    llm_seconds: float = 0.0
    wall_seconds: float = 0.0


class Outcome(msgspec.Struct):
    id: str
    category: str
    sample: int
    passed: bool
    failure: str  # "" when passed; else "wrong" or a grouped exit reason ("error:no_answer", "budget:tokens", ...)
    system: bool  # the failure is the system's: counted apart from wrong answers
    answer: str
    error: str
    tokens_in: int
    tokens_out: int
    llm_seconds: float
    wall_seconds: float


def reason_of(run: Run) -> str:
    """A group key for a failed run: the exit reason, with the error's code for plain errors; a JSON
    action the model did not finish (``finish_reason=length``) is ``error:truncated``, an engine
    fault is ``error:engine``."""
    if run.exit_reason != "error":
        return run.exit_reason or "unknown"
    code, _, message = run.error.partition(": ")
    if "did not complete (finish_reason=length" in message:
        return "error:truncated"
    if code == "llm_error" and message.startswith("the model failed"):
        return "error:engine"
    return f"error:{code.strip() or 'unknown'}" if message else "error:unknown"


def is_system(reason: str) -> bool:
    if reason in SYSTEM_REASONS or reason.startswith(SYSTEM_PREFIXES):
        return True
    return reason.startswith("error:") and reason[6:] in SYSTEM_CODES
