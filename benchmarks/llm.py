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
        for _ in range(n_tokens):
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


def bare_python_single(model_path: str, n_tokens: int, *, n_threads: int = 2, prompt: str = PROMPT) -> dict:
    """Decode tokens/s of llama-cpp-python's high-level ``Llama.generate`` (greedy), after the first token."""
    from llama_cpp import Llama

    llm = Llama(model_path, n_ctx=512, n_threads=n_threads, n_threads_batch=n_threads, n_gpu_layers=0,
                verbose=False)
    try:
        toks = llm.tokenize(prompt.encode())
        stamps = []
        for _ in llm.generate(toks, temp=0.0, top_k=1, reset=True):
            stamps.append(time.perf_counter())
            if len(stamps) >= n_tokens:
                break
    finally:
        llm.close()
    dt = stamps[-1] - stamps[0]
    return {"n_tokens": len(stamps), "tok_s": (len(stamps) - 1) / dt if dt > 0 else 0.0}


def _decode(C, nm, b, seq: int, toks: list[int], pos0: int) -> int:
    """Evaluate ``toks`` for ``seq`` from ``pos0`` in chunks of the batch size; logits for the last."""
    for start in range(0, len(toks), nm.n_batch):
        chunk = toks[start:start + nm.n_batch]
        for j, t in enumerate(chunk):
            b.token[j], b.pos[j], b.n_seq_id[j] = t, pos0 + start + j, 1
            b.seq_id[j][0] = seq
            b.logits[j] = int(start + j == len(toks) - 1)
        b.n_tokens = len(chunk)
        if C.llama_decode(nm.ctx, b) != 0:
            raise RuntimeError("decode failed")
    return (len(toks) - 1) % nm.n_batch


def kv_switch(model_path: str, lengths=(256, 1024, 4096), *, n_threads: int = 2, n_check: int = 8,
              swap_dir: str | None = None) -> list[dict]:
    """Cost of bringing a preempted sequence of ``L`` tokens back: re-prefill from its tokens versus
    restoring its saved KV (``llama_state_seq_set_data``) from host memory or from a file, into a
    different sequence slot; and whether the next ``n_check`` greedy tokens are identical."""
    import ctypes
    import os
    import tempfile

    longest = max(lengths)
    nm = NativeModel(model_path, n_ctx=2 * (longest + 256), n_seq_max=2, n_batch=512, n_threads=n_threads)
    C = nm.C
    b = C.llama_batch_init(nm.n_batch, 0, 1)
    smp = C.llama_sampler_init_greedy()
    text = nm.tokenize(" ".join(f"Line {i}: the keeper climbed the lighthouse stairs, counted the ships and wrote "
                                f"their names in the log." for i in range(longest // 10)))
    out = []
    tmp = None if swap_dir else tempfile.TemporaryDirectory(prefix="llmos-bench-swap-")
    swap = swap_dir or tmp.name

    def greedy(seq: int, row: int, pos: int) -> list[int]:
        got = []
        for _ in range(n_check):
            tok = C.llama_sampler_sample(smp, nm.ctx, row)
            got.append(tok)
            row = _decode(C, nm, b, seq, [tok], pos)
            pos += 1
        return got

    try:
        for L in lengths:
            ctx = text[:L]
            assert len(ctx) == L, "not enough text for the longest context"
            C.llama_memory_seq_rm(nm.mem, -1, -1, -1)
            t = time.perf_counter()
            row = _decode(C, nm, b, 0, ctx, 0)
            prefill_s = time.perf_counter() - t
            ref = greedy(0, row, L)
            C.llama_memory_seq_rm(nm.mem, 0, L - 1, -1)  # what the engine keeps: all but the last token
            t = time.perf_counter()
            size = C.llama_state_seq_get_size(nm.ctx, 0)
            buf = (ctypes.c_uint8 * size)()
            n = C.llama_state_seq_get_data(nm.ctx, buf, size, 0)
            save_s = time.perf_counter() - t
            path = os.path.join(swap, f"kv-{L}.bin")
            t = time.perf_counter()
            with open(path, "wb") as f:
                f.write(memoryview(buf)[:n])
                f.flush()
                os.fsync(f.fileno())
            disk_save_s = time.perf_counter() - t
            results = {}
            for where in ("memory", "disk"):
                C.llama_memory_seq_rm(nm.mem, 1, -1, -1)
                t = time.perf_counter()
                data = buf
                if where == "disk":
                    with open(path, "rb") as f:
                        raw = f.read()
                    data = (ctypes.c_uint8 * len(raw)).from_buffer_copy(raw)
                if not C.llama_state_seq_set_data(nm.ctx, data, n, 1):
                    raise RuntimeError("restore failed")
                restore_s = time.perf_counter() - t
                row = _decode(C, nm, b, 1, ctx[-1:], L - 1)  # the one token a resume evaluates
                resume_s = time.perf_counter() - t
                results[where] = {"restore_s": restore_s, "resume_s": resume_s,
                                  "identical": greedy(1, row, L) == ref}
            os.unlink(path)
            out.append({"tokens": L, "reprefill_s": prefill_s, "save_s": save_s, "disk_save_s": disk_save_s,
                        "state_mb": n / 2**20, "restore_memory_s": results["memory"]["restore_s"],
                        "resume_memory_s": results["memory"]["resume_s"],
                        "restore_disk_s": results["disk"]["restore_s"], "resume_disk_s": results["disk"]["resume_s"],
                        "identical_memory": results["memory"]["identical"],
                        "identical_disk": results["disk"]["identical"]})
    finally:
        C.llama_sampler_free(smp)
        C.llama_batch_free(b)
        nm.close()
        if tmp is not None:
            tmp.cleanup()
    return out


async def prefix_ttft(model_path: str, *, trials: int = 3, system_words: int = 400) -> dict:
    """Time to first token for requests whose long system prompt another process is using (a hit:
    the prefix is copied) versus requests with a system prompt never seen (a miss: full prefill)."""
    from drivers.llm import LlamaEngine

    def system(tag: str) -> Message:
        rules = " ".join(f"Rule {i}: confirm the traveller's dates, budget and seat before booking."
                         for i in range(system_words // 12))
        return Message("system", f"You are the travel desk of company {tag}. {rules}")

    shared = system("Aurora")
    hits, misses, copies = [], [], 0
    async with LlamaEngine(model_path, n_slots=3, n_ctx=3 * 1024) as eng:
        n_prefix = len(eng.apply_template([shared]))
        holder = eng.submit(GenRequest(messages=[shared, Message("user", "Tell a long story.")], max_tokens=100000))
        it = holder.__aiter__()
        await it.__anext__()  # the shared prefix now sits in a busy slot
        before = eng.stats().prefix_copies
        for i in range(trials):
            for kind in ("miss", "hit"):
                msgs = [system(f"Z{i}") if kind == "miss" else shared, Message("user", f"Question {i}: which seat?")]
                r = await eng.generate(GenRequest(messages=msgs, max_tokens=1))
                (misses if kind == "miss" else hits).append(r.ttft_s)
        copies = eng.stats().prefix_copies - before
        holder.cancel()
        async for _ in it:
            pass
    return {"prefix_tokens": n_prefix, "hit_ttft_s": hits, "miss_ttft_s": misses, "prefix_copies": copies}
