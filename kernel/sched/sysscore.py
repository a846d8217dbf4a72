"""``llm.score``: rank candidate continuations by the model's log-likelihood, under the scheduler and budgets."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from drivers.llm import EngineError, Message, ScoreRequest
from kernel.proc import budget
from kernel.proc.process import Process
from syscalls import llm
from syscalls.errors import SyscallError, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel


async def score(k: "Kernel", proc: Process, req: llm.Score) -> llm.ScoreReply:
    """The prompt and every candidate are charged as input tokens; the pass holds one of the
    process's scheduler slots, as a generation does, and counts as one LLM step."""
    core = k.engines.of(proc)
    engine = core.engine
    messages = [Message(role=m.role, content=m.content) for m in req.messages]
    try:
        prompt = engine.apply_template(messages)
        cost = len(prompt) + sum(len(engine.tokenize(c)) for c in req.candidates)
    except EngineError as exc:
        raise SyscallError(f"the model failed: {exc}", code="llm_error") from None
    left = budget.tokens_left(proc)
    if left is not None and cost > left:
        await k.breach(proc, "tokens")
    proc.usage.steps += 1
    async with core.sched.slot(proc):
        t0 = time.monotonic()
        try:
            res = await engine.score(ScoreRequest(candidates=list(req.candidates), prompt=prompt, key=str(proc.pid)))
        except EngineError as exc:
            if exc.code == "unsupported":
                raise Unavailable(str(exc)) from None
            if exc.code == "invalid":
                raise SyscallError(str(exc), code="invalid") from None
            raise SyscallError(f"the model failed: {exc}", code="llm_error", retryable=exc.retryable) from None
        finally:
            proc.usage.llm_seconds += time.monotonic() - t0
    proc.usage.tokens_in += cost
    k.events.emit("llm.score", proc.pid, **{"gen_ai.request.model": engine.name, "gen_ai.usage.input_tokens": cost,
                                           "candidates": len(req.candidates)})
    return llm.ScoreReply(logprobs=res.logprobs, tokens=res.tokens, tokens_in=cost)
