"""Prefill fairness: the gaps between a running sequence's tokens while another process's 4k-token prompt is
read, with the engine's bounded prefill chunks against reading the whole prompt in one step."""
from __future__ import annotations

import statistics
import time

import anyio

from drivers.llm import GenRequest, LlamaEngine, Message

WORDS = "river ledger parser window kernel garden shipment sensor harbor engine folder archive signal".split()


def _long_text(eng: LlamaEngine, tokens: int) -> str:
    words: list[str] = []
    while len(eng.tokenize(" ".join(words))) < tokens:
        words += WORDS
    return " ".join(words)


async def gaps(model: str, *, prefill_chunk: int, n_batch: int, prompt_tokens: int = 4096) -> dict:
    """Token gaps of a decoding sequence while a ``prompt_tokens`` prompt arrives and is read (only the gaps
    while both run count; ``gaps_during`` says how many there were)."""
    async with LlamaEngine(model, n_slots=2, n_ctx=2 * (prompt_tokens + 512), n_batch=n_batch,
                           prefill_chunk=prefill_chunk) as eng:
        text = _long_text(eng, prompt_tokens - 16)
        # a grammar that cannot end before 256 characters keeps it decoding through the whole read
        busy = eng.submit(GenRequest(messages=[Message("user", "Write a long story.")], max_tokens=prompt_tokens // 2,
                                     grammar="root ::= w w w w w w w w w w w w w w w w\nw ::= [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ] [a-z ]"))
        stamps: list[float] = []
        window: list[float] = []
        it = busy.__aiter__()
        for _ in range(16):  # steady decoding first
            await it.__anext__()
            stamps.append(time.perf_counter())
        long = eng.submit(GenRequest(messages=[Message("user", text)], max_tokens=1))
        start = time.perf_counter()

        async def read_long() -> None:
            async for _ in long:
                pass
            window.append(time.perf_counter())
        async with anyio.create_task_group() as tg:
            tg.start_soon(read_long)
            async for _ in it:
                stamps.append(time.perf_counter())
                if window:
                    break
        busy.cancel()
    during = [b - a for a, b in zip(stamps, stamps[1:]) if b > start and a < window[0]]
    before = [b - a for a, b in zip(stamps[:16], stamps[1:16])]
    during.sort()
    return {"prefill_chunk": prefill_chunk, "n_batch": n_batch, "prompt_tokens": prompt_tokens,
            "read_s": round(window[0] - start, 3), "steady_gap_ms": round(statistics.median(before) * 1000, 2),
            "gaps_during": len(during), "p50_ms": round(during[len(during) // 2] * 1000, 2) if during else None,
            "p99_ms": round(during[min(len(during) - 1, int(len(during) * 0.99))] * 1000, 2) if during else None,
            "max_ms": round(during[-1] * 1000, 2) if during else None}


def run(model: str) -> dict:
    """The engine's default chunks against one 4096-token step (no chunking)."""
    return {"chunked": anyio.run(lambda: gaps(model, prefill_chunk=256, n_batch=512)),
            "whole": anyio.run(lambda: gaps(model, prefill_chunk=4096, n_batch=4096))}
