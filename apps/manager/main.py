"""manager: plans sub-tasks, runs a worker per sub-task in parallel, verifies each, redoes rejects, combines."""
from __future__ import annotations

import json
import time
from typing import Any

from syscalls import Sys
from syscalls.errors import SyscallError

from .plan import make_plan
from .verify import verify

MAX_WORKERS = 6
MAX_RETRIES = 2  # re-runs of one sub-task after the verifier rejects it
WORKER_TOKENS = 3000


def options(task: str) -> dict:
    try:
        data = json.loads(task)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Trace:
    """What the manager did, in order: plan, workers, verdicts, retries, result (``trace.json``)."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.events: list[dict] = []

    def add(self, kind: str, **fields) -> None:
        self.events.append({"t": round(time.monotonic() - self.t0, 3), "event": kind, **fields})


async def run(sys: Sys, task: str) -> str:
    opts = options(task)
    max_retries = int(opts.get("max_retries", MAX_RETRIES))
    trace = Trace()
    subs, source = await make_plan(sys, task, int(opts.get("max_workers", MAX_WORKERS)))
    trace.add("plan", source=source, subtasks=subs)
    tokens = int(opts.get("worker_tokens", WORKER_TOKENS))
    running: dict[int, int] = {}  # worker pid -> sub-task index
    attempts = [0] * len(subs)
    results: list[dict | None] = [None] * len(subs)

    async def start(i: int, feedback: str = "", previous: str = "") -> None:
        job = {"task": subs[i]["task"], "spec": subs[i]["spec"], "feedback": feedback, "previous": previous}
        attempts[i] += 1
        try:
            pid = await sys.proc.spawn("worker", json.dumps(job), budgets={"tokens": tokens})
        except SyscallError as exc:
            trace.add("spawn_failed", subtask=i, error=str(exc))
            results[i] = {"result": "", "ok": False, "feedback": f"could not start a worker: {exc.message}"}
            return
        running[pid] = i
        trace.add("worker", subtask=i, pid=pid, attempt=attempts[i], feedback=feedback)

    for i in range(len(subs)):
        await start(i)
    while running:
        done = await sys.proc.wait()  # any child
        ended: int | None = running.pop(done.pid, None)
        if ended is None:
            continue
        i = ended
        result = done.result.strip() if done.exit_reason == "exited" else ""
        verdict: dict[str, Any]
        if done.exit_reason != "exited":
            verdict = {"ok": False, "by": "kernel", "feedback": f"the worker ended: {done.exit_reason}"}
        else:
            verdict = await verify(sys, subs[i], result)
        trace.add("verdict", subtask=i, pid=done.pid, attempt=attempts[i], result=result[:500], **verdict)
        if not verdict["ok"] and attempts[i] <= max_retries:
            trace.add("retry", subtask=i, feedback=verdict["feedback"])
            await start(i, verdict["feedback"], result)
            continue
        results[i] = {"result": result, "ok": verdict["ok"], "feedback": verdict["feedback"]}
    lines = []
    for n, (sub, res) in enumerate(zip(subs, results), 1):
        res = res or {"result": "", "ok": False}
        mark = "" if res["ok"] else " [not verified]"
        lines.append(f"{n}. {sub['task']}: {res['result']}{mark}")
    combined = "\n".join(lines)
    passed = sum(1 for r in results if r and r["ok"])
    trace.add("result", passed=passed, total=len(subs), retries=sum(attempts) - len(subs))
    try:
        await sys.fs.write("trace.json", json.dumps(trace.events, indent=1))
    except SyscallError:
        pass  # a trace that cannot be written does not lose the result
    return combined
