"""Program checks of a worker's result: exact tests a sub-task's spec can carry, run without a model."""
from __future__ import annotations

import re

from syscalls import Sys
from syscalls.errors import Unavailable
from syscalls.pytool import run_python

KINDS = ("contains", "regex", "max_words", "min_words", "number", "python")
NUM = re.compile(r"-?\d+(?:[.,]\d+)*(?:\.\d+)?")


def _number(text: str) -> float | None:
    found = NUM.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


FORMAT = ('a check is {"kind": KIND, "value": VALUE}: contains and regex take text, python a boolean '
          'expression over `result`, max_words, min_words and number a number')


def problem(check: object) -> str:
    """What is wrong with a check (a sentence that ends with the format), or "" when it is usable."""
    if not isinstance(check, dict):
        return f"the check {check!r} is not an object; {FORMAT}"
    extra = set(check) - {"kind", "value"}
    if extra:
        return f"the check has an unknown key {sorted(extra)[0]!r}; {FORMAT}"
    if check.get("kind") not in KINDS:
        return f"unknown check kind {check.get('kind')!r} (one of {', '.join(KINDS)}); {FORMAT}"
    value = check.get("value")
    if check["kind"] in ("max_words", "min_words", "number"):
        try:
            float(value)  # type: ignore[arg-type]  # any JSON value: float() itself says whether it is a number
        except (TypeError, ValueError):
            return f"a {check['kind']} check needs a number as its value, not {value!r}; {FORMAT}"
    elif not isinstance(value, str) or not value:
        return f"a {check['kind']} check needs non-empty text as its value, not {value!r}; {FORMAT}"
    return ""


def clean(check: object) -> dict | None:
    """A usable check from a plan, or None (a model's malformed checks are dropped; see ``problem``)."""
    if problem(check):
        return None
    assert isinstance(check, dict)
    value = check["value"]
    if check["kind"] in ("max_words", "min_words", "number"):
        value = float(value)
    return {"kind": check["kind"], "value": value}


async def run_check(sys: Sys, check: dict, result: str) -> tuple[bool | None, str]:
    """(passed, why); passed is None when the check could not run (no sandbox for a python check)."""
    kind, value = check["kind"], check["value"]
    if kind == "contains":
        ok = value.lower() in result.lower()
        return ok, "" if ok else f"the result must contain {value!r}"
    if kind == "regex":
        try:
            ok = re.search(value, result) is not None
        except re.error as exc:
            return None, f"bad regex in the spec: {exc}"
        return ok, "" if ok else f"the result must match /{value}/"
    if kind in ("max_words", "min_words"):
        n = len(result.split())
        ok = n <= value if kind == "max_words" else n >= value
        return ok, "" if ok else f"the result has {n} words; the spec wants {kind.split('_')[0]} {value:g}"
    if kind == "number":
        got = _number(result)
        ok = got is not None and abs(got - value) <= 1e-6 * max(1.0, abs(value))
        # the expected number is a hidden test: saying it would let a worker copy it
        return ok, "" if ok else f"the result is not the number the task asks for (found {got})"
    code = f"result = {result!r}\nok = bool({value})\nprint('PASS' if ok else 'FAIL')\n"
    try:
        run = await run_python(sys, code, timeout=20)
    except Unavailable as exc:
        return None, str(exc)
    if "PASS" in run.stdout:
        return True, ""
    return False, f"the program check `{value}` failed: {(run.stdout or run.output)[-300:]}"
