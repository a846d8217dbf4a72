"""Pieces of the coder's loop: reading its task, pulling code out of a reply, the test program, prompts."""
from __future__ import annotations

import json
import re

PASS_MARK = "LLMOS-ALL-TESTS-PASSED"
FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)(?:```|$)", re.DOTALL)
SYSTEM = ("You are a careful Python programmer. Write only Python code: the complete function, "
          "with any imports it needs, in one ```python block. No explanations, no tests, no prints.")


def parse_task(task: str) -> dict:
    """``{"spec", "tests", "code"?, "max_rounds"?}`` as JSON; plain text is a spec without tests."""
    try:
        data = json.loads(task)
    except ValueError:
        return {"spec": task, "tests": "", "code": ""}
    if not isinstance(data, dict) or not isinstance(data.get("spec"), str):
        return {"spec": task, "tests": "", "code": ""}
    return {"spec": data["spec"], "tests": str(data.get("tests") or ""), "code": str(data.get("code") or ""),
            "max_rounds": int(data.get("max_rounds", 4))}


def extract(reply: str) -> str:
    """The code in a model reply: the first fenced block, else the reply from its first def/import."""
    m = FENCE.search(reply)
    text = m.group(1) if m else reply
    lines = text.strip("\n").splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("def ", "import ", "from ", "class ", "@")):
            return "\n".join(lines[i:]).rstrip() + "\n"
    return text.strip() + "\n"


def test_program(code: str, tests: str) -> str:
    """The solution, then the tests (plain asserts, or ``test_*`` functions, which are called)."""
    return (f"{code}\n\n# --- tests ---\n{tests}\n\n"
            "for _name, _fn in list(globals().items()):\n"
            "    if _name.startswith('test_') and callable(_fn):\n"
            "        _fn()\n"
            f"print({PASS_MARK!r})\n")


def first_prompt(spec: str, tests: str) -> str:
    return f"Write this Python function.\nSpec: {spec}\n" + (f"It must pass these tests:\n{tests}\n" if tests else "")


def fix_prompt(spec: str, tests: str, code: str, failure: str) -> str:
    return (f"Spec: {spec}\nTests:\n{tests}\n\nThis code fails the tests:\n```python\n{code}```\n"
            f"The failure:\n{failure}\n\nFix the code. Reply with the whole corrected function.")


def failure_of(output: str, limit: int = 900) -> str:
    """The useful end of a failed run's output (the traceback's last lines)."""
    text = output.strip()
    return text[-limit:] if len(text) > limit else text
