"""coder: write a function to a spec, run its tests in the sandbox, fix it from the failures until they pass.

Task: JSON ``{"spec": ..., "tests": "assert f(2) == 4\\n...", "code": optional first version,
"max_rounds": 4}``.  It stops when the tests pass (result: the code) or when its rounds or its
budget end (it exits with status 1 and the last failure).  Every attempt is kept in
``attempts.json``; the passing code in ``solution.py``.
"""
from __future__ import annotations

import json

from syscalls import Sys
from syscalls.errors import SyscallError
from syscalls.pytool import run_python

from . import code as c


async def _save(sys: Sys, path: str, data: str) -> None:
    try:
        await sys.fs.write(path, data)
    except SyscallError:
        pass  # a record that cannot be written does not stop the work


async def run(sys: Sys, task: str) -> str:
    job = c.parse_task(task)
    spec, tests = job["spec"], job["tests"]
    if not tests.strip():
        raise SyscallError("coder needs tests to check its code: give {\"spec\": ..., \"tests\": ...}",
                           code="invalid")
    attempts: list[dict] = []
    code = job["code"]
    if not code.strip():
        reply = await sys.llm.chat([{"role": "system", "content": c.SYSTEM},
                                    {"role": "user", "content": c.first_prompt(spec, tests)}], max_tokens=256)
        code = c.extract(reply.text)
    for round_ in range(1, job.get("max_rounds", 4) + 1):
        run_ = await run_python(sys, c.test_program(code, tests), timeout=20)
        passed = run_.ok and c.PASS_MARK in run_.stdout
        failure = "" if passed else c.failure_of(run_.stderr or run_.output)
        attempts.append({"round": round_, "code": code, "passed": passed, "failure": failure})
        await _save(sys, "attempts.json", json.dumps(attempts, indent=1))
        if passed:
            await _save(sys, "solution.py", code)
            return code
        if round_ == job.get("max_rounds", 4):
            break
        reply = await sys.llm.chat([{"role": "system", "content": c.SYSTEM},
                                    {"role": "user", "content": c.fix_prompt(spec, tests, code, failure)}],
                                   max_tokens=256)
        code = c.extract(reply.text)
    await sys.proc.exit(f"tests still fail after {len(attempts)} rounds: {attempts[-1]['failure'][-300:]}", 1)
    return ""
