"""Verification: a program check where the spec has one, then a checker model call."""
from __future__ import annotations

from syscalls import Sys
from syscalls.errors import SyscallError

from .checks import run_check

CHECK_SYSTEM = ("You are a strict checker. Decide whether a worker's result meets the spec of its task. "
                "Answer pass only if it does; otherwise answer fail and say briefly what to fix.")
VERDICT = {"type": "object", "properties": {"verdict": {"enum": ["pass", "fail"]},
                                            "feedback": {"type": "string", "maxLength": 160}},
           "required": ["verdict", "feedback"]}


async def verify(sys: Sys, sub: dict, result: str) -> dict:
    """``{"ok", "by", "feedback"}``: ``by`` names what decided (program, checker, or both)."""
    if not result.strip():
        return {"ok": False, "by": "program", "feedback": "the result is empty"}
    by = []
    if sub.get("check"):
        ok, why = await run_check(sys, sub["check"], result)
        if ok is False:
            return {"ok": False, "by": "program", "feedback": why}
        if ok:
            by.append("program")
    prompt = f"Task: {sub['task']}\nSpec: {sub.get('spec') or '(a correct, direct result)'}\nResult: {result[:2000]}"
    try:
        reply = await sys.llm.json([{"role": "system", "content": CHECK_SYSTEM}, {"role": "user", "content": prompt}],
                                   VERDICT, max_tokens=160)
        v = reply.value if isinstance(reply.value, dict) else {}
    except SyscallError as exc:  # a checker that fails to answer does not veto a program-checked result
        return {"ok": bool(by), "by": "+".join(by) or "none", "feedback": f"checker unavailable: {exc.message}"}
    by.append("checker")
    return {"ok": v.get("verdict") == "pass", "by": "+".join(by), "feedback": str(v.get("feedback", ""))[:300]}
