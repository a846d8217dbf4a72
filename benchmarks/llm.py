"""LLM throughput benchmarks: bare llama.cpp batched decode versus the same work through an Engine."""
from __future__ import annotations

import time

import anyio

from drivers.llm.base import Engine, GenRequest, Message
from drivers.llm.llama_native import NativeModel

PROMPT = "Write a long story about a robot who learns to paint. Once upon a time"


def bare_ceiling(model_path: str, batch: int, n_tokens: int, *, n_threads: int = 2,
                 prompt: str = PROMPT, n_ctx: int | None = None) -> dict:
    """Aggregate tokens/s of llama.cpp's C API decoding ``batch`` sequences for ``n_tokens`` steps,
    greedy sampling in C, no engine around it.  ``n_ctx`` (total KV cells) defaults to just enough.
    Frees its context and model before returning."""
    prompt_len = 64
    nm = NativeModel(model_path, n_ctx=n_ctx or batch * (prompt_len + n_tokens + 16), n_seq_max=batch,
                     n_batch=max(512, batch * prompt_len), n_threads=n_threads)
    C = nm.C
    b = C.llama_batch_init(nm.n_batch, 0, 1)
    samplers = []
    try:
        toks = nm.tokenize(prompt)[:prompt_len]
        n = 0
        for s in range(batch):
            for j, t in enumerate(toks):
                b.token[n], b.pos[n], b.n_seq_id[n], b.logits[n] = t, j, 1, int(j == len(toks) - 1)
                b.seq_id[n][0] = s
                n += 1
        b.n_tokens = n
        t0 = time.perf_counter()
        if C.llama_decode(nm.ctx, b) != 0:
            raise RuntimeError("prefill failed")
        prefill_s = time.perf_counter() - t0
        for _ in range(batch):
            samplers.append(C.llama_sampler_init_greedy())
        rows = [(i + 1) * len(toks) - 1 for i in range(batch)]
        nexts = [C.llama_sampler_sample(samplers[s], nm.ctx, rows[s]) for s in range(batch)]
        pos = len(toks)
        t0 = time.perf_counter()
        for step in range(n_tokens):
            for s in range(batch):
                b.token[s], b.pos[s], b.n_seq_id[s], b.logits[s] = nexts[s], pos, 1, 1
                b.seq_id[s][0] = s
            b.n_tokens = batch
            if C.llama_decode(nm.ctx, b) != 0:
                raise RuntimeError("decode failed")
            nexts = [C.llama_sampler_sample(samplers[s], nm.ctx, s) for s in range(batch)]
            pos += 1
        dt = time.perf_counter() - t0
    finally:
        for smp in samplers:
            C.llama_sampler_free(smp)
        C.llama_batch_free(b)
        nm.close()
    return {"batch": batch, "n_tokens": n_tokens, "seconds": dt, "tok_s": batch * n_tokens / dt,
            "step_ms": 1000 * dt / n_tokens, "prefill_tok_s": batch * len(toks) / prefill_s}


def _request(n_tokens: int, i: int = 0, grammar: str | None = None) -> GenRequest:
    return GenRequest(messages=[Message("user", f"{PROMPT} (story {i})")], max_tokens=n_tokens, grammar=grammar)


async def engine_single_stream(engine: Engine, n_tokens: int, grammar: str | None = None) -> dict:
    """Decode tokens/s of one request through ``engine`` (time after the first token); ``grammar``
    (GBNF) measures constrained decoding."""
    gen = engine.submit(_request(n_tokens, grammar=grammar))
    t_first, count = 0.0, 0
    async for _ in gen:
        count += 1
        if count == 1:
            t_first = time.perf_counter()
    dt = time.perf_counter() - t_first
    r = gen.result
    return {"n_tokens": len(r.tokens), "seconds": dt, "tok_s": (len(r.tokens) - 1) / dt if dt > 0 else 0.0,
            "ttft_s": r.ttft_s}


async def engine_aggregate(engine: Engine, n_concurrent: int, n_tokens: int) -> dict:
    """Aggregate tokens/s of ``n_concurrent`` simultaneous requests through ``engine``.

    ``tok_s`` is wall clock over everything (prefill, queueing); ``decode_tok_s`` counts only
    tokens produced once every request has its first token, which is what ``bare_ceiling`` measures.
    """
    stamps: list[float] = []
    firsts: list[float] = []
    results = []

    async def one(i: int) -> None:
        gen = engine.submit(_request(n_tokens, i))
        first = True
        async for _ in gen:
            now = time.perf_counter()
            stamps.append(now)
            if first:
                firsts.append(now)
                first = False
        results.append(gen.result)

    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(n_concurrent):
            tg.start_soon(one, i)
    t_end = time.perf_counter()
    total = sum(len(r.tokens) for r in results)
    t_all = max(firsts) if firsts else t_end
    steady = [t for t in stamps if t > t_all]
    steady_dt = (max(steady) - t_all) if steady else 0.0
    return {"n_concurrent": n_concurrent, "n_tokens": total, "seconds": t_end - t0, "tok_s": total / (t_end - t0),
            "decode_tok_s": len(steady) / steady_dt if steady_dt > 0 else 0.0,
            "mean_ttft_s": sum(r.ttft_s for r in results) / len(results)}
