"""Run an app over suite items, a few at a time, and turn each run into a checked ``Outcome``."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import anyio

from .backends import Backend
from .checkers import CheckError, check
from .outcome import Outcome, Run, is_system, reason_of
from .sites import serving
from .suite import Item


def memory_user(item: Item, sample: int) -> str:
    """The memory user of an item's run: its own, so items do not see each other's facts."""
    return f"eval.{re.sub(r'[^A-Za-z0-9_.@-]', '-', item.id)[:80]}.{sample}"


async def run_item(backend: Backend, app: str, item: Item, sample: int, folder: Path, timeout: float) -> Outcome:
    """Each turn of the item is its own process, in order; the last one's answer is checked and the
    costs of all turns are summed.  A turn that fails ends the item with that failure.  The turns share a
    memory user of their own (``eval.ID.SAMPLE``), dropped when the item ends: what one item tells the
    assistant is not recalled in another, as two people's facts are not."""
    total = Run(exit_reason="exited")
    run, user = total, memory_user(item, sample)
    for turn in item.turns:
        run = await backend.run(app, turn, timeout, user=user)
        total.tokens_in += run.tokens_in
        total.tokens_out += run.tokens_out
        total.llm_seconds += run.llm_seconds
        total.wall_seconds += run.wall_seconds
        if run.exit_reason != "exited":
            break
    await backend.forget_user(user)  # the item's memory is gone with it, not left in the person's store
    answer = run.result or ""
    failure, error = "", run.error
    if run.exit_reason != "exited":
        failure = reason_of(run)
    else:
        try:
            failure = "" if check(item, answer, folder) else "wrong"
        except CheckError as exc:
            failure, error = "checker", str(exc)
    return Outcome(id=item.id, category=item.category, sample=sample, passed=not failure, failure=failure,
                   system=bool(failure) and is_system(failure), answer=answer[:500], error=error[:500],
                   tokens_in=total.tokens_in, tokens_out=total.tokens_out,
                   llm_seconds=round(total.llm_seconds, 3), wall_seconds=round(total.wall_seconds, 3))


async def run_suite(backend: Backend, app: str, items: list[Item], folder: Path, *, samples: int = 1,
                    concurrency: int = 2, timeout: float = 600.0,
                    progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Every item ``samples`` times, at most ``concurrency`` at once; outcomes in item order.  The items'
    ``site`` folders are served for the run (``{site}`` in a task is its URL) and stopped after it."""
    with serving(items, folder) as placed:
        return await _run_all(backend, app, placed, folder, samples, concurrency, timeout, progress)


async def _run_all(backend: Backend, app: str, items: list[Item], folder: Path, samples: int, concurrency: int,
                   timeout: float, progress: Callable[[Outcome], None] | None) -> list[Outcome]:
    jobs = [(item, s) for item in items for s in range(samples)]
    out: list[Outcome | None] = [None] * len(jobs)
    limit = anyio.Semaphore(max(1, concurrency))

    async def one(i: int) -> None:
        async with limit:
            item, s = jobs[i]
            out[i] = done = await run_item(backend, app, item, s, folder, timeout)
            if progress is not None:
                progress(done)

    async with anyio.create_task_group() as tg:
        for i in range(len(jobs)):
            tg.start_soon(one, i)
    return [o for o in out if o is not None]
