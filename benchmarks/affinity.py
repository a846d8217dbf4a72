"""Replica affinity: a process's second call reaches its first token sooner on the replica that served its first
call (the server's prefix cache holds the conversation) than the same call sent to the other replica."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import anyio

from drivers.llm import GenRequest, Message
from drivers.llm.replicas import ReplicaEngine
from tests.llamaserver import LlamaServer

WORDS = ("river ledger parser window kernel garden shipment sensor harbor engine folder archive signal "
         "meadow lantern copper valley orbit canvas thunder pocket marble").split()
SYSTEM = "You read documents and answer in a few words."


async def _document(eng: ReplicaEngine, n: int, tokens: int) -> str:
    """About ``tokens`` tokens of text (counted by the server's tokenizer), different from the first word on
    for each ``n`` so no round finds another round's prompt in a cache."""
    words = [f"Document {n}:"]
    step = len(WORDS)
    while True:
        words += [WORDS[(i * (n + 3) + n) % step] for i in range(step * 4)]
        text = " ".join(words)
        if await eng.replicas[0].engine.count_tokens_exact(text) >= tokens:
            return text


async def measure(model: str, *, rounds: int = 4, prompt_tokens: int = 1200, threads: int = 1) -> dict:
    """``rounds`` processes, each with a first call on a ``prompt_tokens`` prompt and a second call extending
    it, sent to its own replica and, as the control, to the other one (the order alternates by round)."""
    with tempfile.TemporaryDirectory(prefix="llmos-affinity-") as tmp:
        servers = []
        try:
            for name in ("a", "b"):
                servers.append(LlamaServer(model, Path(tmp) / f"{name}.log", n_ctx=4096, threads=threads))
            return await _rounds([s.url for s in servers], rounds, prompt_tokens)
        finally:
            for s in servers:
                s.stop()


async def _rounds(urls: list[str], rounds: int, prompt_tokens: int) -> dict:
    eng = ReplicaEngine(urls, n_slots=1, n_ctx=4096, timeout=300)
    await eng.start()
    same, other, first, tokens = [], [], [], []
    try:
        for n in range(rounds):
            key = f"p{n}"
            doc = await _document(eng, n, prompt_tokens)
            msgs = [Message("system", SYSTEM), Message("user", f"{doc}\n\nWhich word comes first in the document?")]
            r1 = await eng.generate(GenRequest(messages=msgs, max_tokens=12, key=key))
            home = eng.replica_for(key)
            away = next(r.engine for r in eng.replicas if r.address != home)
            second = [*msgs, Message("assistant", r1.text), Message("user", "And which word comes last?")]
            tokens.append(await away.count_tokens_exact("".join(m.content for m in second)))

            home_call = GenRequest(messages=second, max_tokens=4, key=key)  # routed: it stays on its replica
            away_call = GenRequest(messages=second, max_tokens=4)  # the same call, to the other one
            if n % 2 == 0:
                same.append((await eng.generate(home_call)).ttft_s)
                other.append((await away.generate(away_call)).ttft_s)
            else:
                other.append((await away.generate(away_call)).ttft_s)
                same.append((await eng.generate(home_call)).ttft_s)
            if eng.replica_for(key) != home:
                raise RuntimeError("the second call left its replica")
            first.append(r1.ttft_s)
    finally:
        await eng.close()
    ratios = [o / s for s, o in zip(same, other)]
    return {"rounds": rounds, "second_call_tokens": round(statistics.median(tokens)),
            "first_call_ttft_s": [round(x, 4) for x in first],
            "same_replica_ttft_s": [round(x, 4) for x in same], "other_replica_ttft_s": [round(x, 4) for x in other],
            "same_median_s": round(statistics.median(same), 4), "other_median_s": round(statistics.median(other), 4),
            "ratio": round(statistics.median(other) / statistics.median(same), 2),
            "ratio_min": round(min(ratios), 2), "target": 2.0}


def run(model: str) -> dict:
    return anyio.run(lambda: measure(model))


if __name__ == "__main__":
    import json
    import sys

    from drivers.llm import default_model_path
    print(json.dumps(run(sys.argv[1] if len(sys.argv) > 1 else default_model_path())))
