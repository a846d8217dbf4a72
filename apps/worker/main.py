"""worker: does one sub-task to its spec, using a checker's feedback when it is a retry."""
from __future__ import annotations

import json

from syscalls import Sys

SYSTEM = ("You are a careful worker. Do exactly the task you are given and meet its spec. "
          "Reply with the result only: no preamble, no explanation.")


def parse_task(task: str) -> dict:
    """A manager sends JSON ``{"task", "spec", "previous", "feedback"}``; a person may send plain text."""
    try:
        data = json.loads(task)
    except ValueError:
        return {"task": task}
    return data if isinstance(data, dict) and isinstance(data.get("task"), str) else {"task": task}


def prompt(job: dict) -> str:
    lines = [f"Task: {job['task']}"]
    if job.get("spec"):
        lines.append(f"Spec: {job['spec']}")
    if job.get("feedback"):
        lines += [f"Your previous result: {str(job.get('previous', ''))[:1000]}",
                  f"A checker rejected it: {job['feedback']}", "Give a corrected result."]
    return "\n".join(lines)


async def run(sys: Sys, task: str) -> str:
    job = parse_task(task)
    reply = await sys.llm.chat([{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(job)}],
                               max_tokens=int(job.get("max_tokens", 96)))
    return reply.text.strip()
