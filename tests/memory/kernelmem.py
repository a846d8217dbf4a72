"""Helpers for the kernel-level memory tests: a python app's code and the prompts the engine saw."""
from __future__ import annotations

import textwrap

FEEDER = textwrap.dedent('''
    import json, random

    async def run(sys, task):
        spec = json.loads(task)
        rng = random.Random(spec["seed"])
        words = "ship harbour storm lantern compass rope cargo tide gull anchor".split()
        for i in range(spec["pages"]):
            if i == spec.get("plant_at", -1):
                await sys.mem.add(spec["fact"])
                continue
            n = rng.randint(1, spec["max_words"])
            text = f"Log entry {i}: " + " ".join(rng.choice(words) for _ in range(n))
            await sys.mem.add(text, role="user" if i % 2 else "assistant")
            if spec.get("every") and i % spec["every"] == spec["every"] - 1:  # a step now and then
                await sys.llm.chat([{"role": "user", "content": f"Summarise entry {i}."}],
                                   max_tokens=rng.randint(8, spec["max_tokens"]), context=True)
        reply = await sys.llm.chat([{"role": "user", "content": spec["question"]}], max_tokens=spec["max_tokens"],
                                   context=True)
        return reply.text
''')


def prompt_text(engine, req) -> str:
    return engine.detokenize(req.prompt) if req.prompt is not None else ""
