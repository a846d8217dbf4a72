"""The ``llm`` syscalls: a generation runs while the process holds a scheduler slot."""
from __future__ import annotations

import json
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable

import anyio

from drivers.llm import EngineError, GenRequest, GenResult, Message, Sampling
from kernel.memory import prompt as memprompt
from kernel.proc import budget
from kernel.proc.process import Process
from syscalls import llm
from syscalls.errors import SyscallError

if TYPE_CHECKING:
    from kernel.kernel import Kernel

# Where a generation's text goes as it is decoded, for callers that stream it (the OpenAI API's SSE);
# set by the caller around ``dispatch``, read in ``generate``.  None: nobody streams.
TOKEN_SINK: ContextVar[Callable[[str], None] | None] = ContextVar("llmos_token_sink", default=None)


async def generate(k: "Kernel", proc: Process, req: GenRequest) -> GenResult:
    """Run ``req`` for ``proc`` under the scheduler: preemptible, stoppable, budgeted."""
    core = k.engines.of(proc)  # the engine it was routed to at spawn, and that engine's slots
    engine, sched = core.engine, core.sched
    prompt = req.prompt if req.prompt is not None else engine.apply_template(req.messages or [])
    left = budget.tokens_left(proc)
    capped = False
    if left is not None:
        if left - len(prompt) <= 0:
            await k.breach(proc, "tokens")
        capped = left - len(prompt) < req.max_tokens
        req.max_tokens = max(1, min(req.max_tokens, left - len(prompt)))
    req.prompt, req.messages, req.key = prompt, None, str(proc.pid)
    req.keep_kv = k.config.kv_follow  # the process will be back with this conversation and more
    proc.usage.tokens_in += len(prompt)
    proc.usage.steps += 1
    proc.ctx_used = len(prompt)
    t0 = time.monotonic()
    k.events.emit("llm.request", proc.pid, **{"gen_ai.request.model": engine.name,
                                             "gen_ai.usage.input_tokens": len(prompt),
                                             "gen_ai.request.max_tokens": req.max_tokens})
    rounds, parts = 0, []
    sink = TOKEN_SINK.get()
    while True:
        await k.wait_while_stopped(proc)
        rounds += 1
        async with sched.slot(proc):
            t_slot = time.monotonic()
            gen = engine.submit(req)
            tokens = gen.__aiter__()
            try:
                async for _tok in tokens:
                    if sink is not None:
                        sink(_tok.text)
                    proc.usage.tokens_out += 1
                    proc.note_tokens(1)
                    k.tokens_out += 1
                    if k.instruments:
                        for ins in k.instruments:
                            ins.token(proc)
                    if left is not None and proc.usage.tokens > budget.limits(proc)["tokens"]:
                        gen.cancel()
                        await k.breach(proc, "tokens")
                    if proc.stop_requested or sched.tick(proc):
                        gen.cancel("preempted")
            except EngineError as exc:
                raise SyscallError(f"the model failed: {exc}", code="llm_error", retryable=exc.retryable) from None
            finally:
                gen.cancel()  # no-op once finished; stops the sequence within one step on KILL
                proc.usage.llm_seconds += time.monotonic() - t_slot
                with anyio.CancelScope(shield=True):  # close the stream now, not when it is collected:
                    await tokens.aclose()  # an engine's slot or connection is freed with it
            res = gen.result
        parts.append(res.text)
        if res.finish_reason == "preempted":
            k.events.emit("sched.preempt", proc.pid, generated=len(res.tokens))
            req.generated = list(res.tokens)
            continue
        break
    res.text = "".join(parts)  # each round's text holds only its new tokens
    if capped and res.finish_reason == "length":  # the budget, not the caller, ended the generation
        await k.breach(proc, "tokens")
    if res.finish_reason == "error":
        raise SyscallError(f"the model failed: {res.error}", code="llm_error", retryable=True)
    out = len(res.tokens)
    k.events.emit("llm.response", proc.pid, **{"gen_ai.usage.input_tokens": len(prompt),
                                              "gen_ai.usage.output_tokens": out,
                                              "gen_ai.response.finish_reasons": [res.finish_reason],
                                              "cached_tokens": res.cached_tokens,
                                              "ms": round((time.monotonic() - t0) * 1000, 1), "rounds": rounds})
    return res


def _messages(msgs: list[llm.ChatMessage]) -> list[Message]:
    return [Message(role=m.role, content=m.content) for m in msgs]


async def _from_messages(k: "Kernel", proc: Process, req: llm.Chat | llm.Json, gen: GenRequest) -> GenResult:
    """Generate from the request's messages or, with ``context``, from the process's pages
    (kernel/memory/prompt.py), the reply then kept as a page."""
    if req.context:
        gen = await memprompt.prepare(k, proc, req.messages, gen)
    res = await generate(k, proc, gen)
    if req.context:
        await memprompt.commit(k, proc, res.text)
    return res


async def chat(k: "Kernel", proc: Process, req: llm.Chat) -> llm.Completion:
    res = await _from_messages(k, proc, req, GenRequest(
        messages=_messages(req.messages), max_tokens=req.max_tokens, json_schema=req.schema,
        sampling=Sampling(temperature=req.temperature, seed=req.seed, top_p=req.top_p), stop=req.stop))
    return llm.Completion(text=res.text, finish_reason=res.finish_reason, tokens_in=len(res.prompt),
                          tokens_out=len(res.tokens))


async def complete(k: "Kernel", proc: Process, req: llm.Complete) -> llm.Completion:
    prompt = await anyio.to_thread.run_sync(k.engines.of(proc).engine.tokenize, req.prompt)
    res = await generate(k, proc, GenRequest(prompt=prompt, max_tokens=req.max_tokens, stop=req.stop,
                                             sampling=Sampling(temperature=req.temperature, seed=req.seed,
                                                               top_p=req.top_p)))
    return llm.Completion(text=res.text, finish_reason=res.finish_reason, tokens_in=len(res.prompt),
                          tokens_out=len(res.tokens))


async def json_(k: "Kernel", proc: Process, req: llm.Json) -> llm.JsonReply:
    res = await _from_messages(k, proc, req, GenRequest(
        messages=_messages(req.messages), max_tokens=req.max_tokens,
        sampling=Sampling(temperature=req.temperature, seed=req.seed), json_schema=req.schema))
    try:
        value = json.loads(res.text)
    except ValueError:  # greedy, the same request stops at the same place again: no use retrying it
        raise SyscallError(f"the model's JSON did not complete (finish_reason={res.finish_reason}, "
                           f"{len(res.tokens)} tokens); raise max_tokens or simplify the schema",
                           code="llm_error", retryable=req.temperature > 0) from None
    return llm.JsonReply(value=value, text=res.text, tokens_in=len(res.prompt), tokens_out=len(res.tokens))


_embedder: list[Any] = []  # the offline embedding model, loaded on the first llm.embed


def _embed(texts: list[str]) -> tuple[list[list[float]], int]:
    if not _embedder:
        from drivers.vectors import OfflineEmbedding
        _embedder.append(OfflineEmbedding())
    emb = _embedder[0]
    return emb.embed(texts).tolist(), emb.count_tokens(texts)


async def embed(k: "Kernel", proc: Process, req: llm.Embed) -> llm.Embeddings:
    """Vectors from the kernel's offline embedder (drivers/vectors); its tokens count as input tokens."""
    vectors, tokens = await anyio.to_thread.run_sync(_embed, list(req.texts))
    proc.usage.tokens_in += tokens
    proc.usage.steps += 1
    k.events.emit("llm.embed", proc.pid, texts=len(req.texts), **{"gen_ai.usage.input_tokens": tokens})
    from drivers.vectors.embedding import NAME
    return llm.Embeddings(vectors=vectors, model=NAME, tokens_in=tokens)
