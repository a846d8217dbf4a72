"""Long-context demo: a document far larger than the context, questions about its early parts, answered by paging.

Run: ``PYTHONPATH=. .venv/bin/python scripts/memory_demo.py`` (real embedded model, about a minute on 2 cores).
A process reads a 60-day expedition log (about 7x its context) into its context page by page
with ``mem.add``; the kernel pages old days out to the process's collection as the context
fills.  Then it asks about days 1-3 with ``llm.chat(..., context=True)``: before each answer
the kernel takes a page fault, recalls the evicted days that bear on the question, and the
model answers from them.  Prints the trace that docs/memory.md shows."""
from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apps import AppRegistry  # noqa: E402
from drivers.llm.factory import open_engine  # noqa: E402
from kernel import Kernel, KernelConfig  # noqa: E402

FACTS = {1: "The expedition's cook was Ingrid Solberg, who had sailed with the captain for ten years.",
         2: "The supply boat, the Kestrel, was painted bright orange so it could be seen in fog.",
         3: "We started the crossing with fourteen sled dogs; the lead dog was called Tamsin."}
QUESTIONS = ["Who was the expedition's cook?", "What colour was the supply boat Kestrel painted?",
             "How many sled dogs did the team start the crossing with?"]
FILLER = ["The wind came from the {d} at {n} knots and the sky stayed {s} until evening.",
          "We covered {n} kilometres over {t} ice, stopping twice to repair the sledge runners.",
          "Camp was made near a {t} ridge; the temperature fell to minus {n} degrees overnight.",
          "The radio check with base at {n} hundred hours reported {s} weather for the next days.",
          "Two crates of {f} were opened and the stores were counted again before supper."]
WORDS = {"d": ["north", "east", "south-west", "west"], "s": ["grey", "clear", "overcast", "hazy"],
         "t": ["rough", "smooth", "broken", "soft"], "f": ["oats", "pemmican", "biscuits", "lentils"]}

READER = textwrap.dedent('''
    import json

    async def run(sys, task):
        spec = json.loads(task)
        for day in spec["days"]:
            await sys.mem.add(day, kind="observation", role="user", source="file:log.txt")
        answers = []
        for q in spec["questions"]:
            r = await sys.llm.chat([{"role": "user", "content": q + " Answer in one short sentence."}],
                                   max_tokens=40, context=True)
            answers.append(r.text.strip())
        return json.dumps(answers)
''')


def document() -> list[str]:
    days = []
    for day in range(1, 61):
        lines = [FACTS[day]] if day in FACTS else []
        for i in range(4):
            tpl = FILLER[(day + i) % len(FILLER)]
            words = {k: v[(day + i) % len(v)] for k, v in WORDS.items()}
            lines.append(tpl.format(n=(day * 7 + i * 13) % 40 + 3, **words))
        days.append(f"Day {day} of the expedition log. " + " ".join(lines))
    return days


async def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="llmos-demo-"))
    app = root / "apps" / "reader"
    app.mkdir(parents=True)
    (app / "app.toml").write_text('name = "reader"\nentry = "main:run"\n[permissions]\nsyscalls = ["llm.*", "mem.*"]\n')
    (app / "main.py").write_text(READER)
    days = document()
    engine = open_engine("", n_slots=1, n_ctx=1024)
    cfg = KernelConfig(home=str(root / "home"), n_slots=1, n_ctx=1024, subsystems=["memory"])
    async with Kernel(cfg, engine=engine, registry=AppRegistry(extra_dirs=[root / "apps"])) as k:
        doc_tokens = sum(engine.count_tokens(d) for d in days)
        pid = await k.spawn("reader", json.dumps({"days": days, "questions": QUESTIONS}))
        k.memory.save(pid)  # keep its swap after it ends, to show what each page fault brought back
        collection = k.memory.get(pid).collection
        proc = await k.wait(pid, timeout=900)
        events = k.events.for_pid(pid)
        evicts = [e for e in events if e["kind"] == "mem.evict"]
        print(f"document: {len(days)} days, {doc_tokens} tokens; context: {proc.ctx_limit} tokens of pages "
              f"in a {engine.n_ctx}-token sequence")
        print(f"paged out: {sum(e['written'] for e in evicts)} pages in {len(evicts)} evictions")
        answers = json.loads(proc.result or "[]") if proc.exit_reason == "exited" else []
        faults = [e for e in events if e["kind"] in ("mem.recall", "mem.fault")]
        prompts = [e["gen_ai.usage.input_tokens"] for e in events if e["kind"] == "llm.request"]
        for q, fault, answer, n in zip(QUESTIONS, faults, answers, prompts):
            found = await k.memory.run(k.memory.store.get, collection, ids=fault.get("refs", []))
            print(f"\nQ: {q}\n  page fault: {fault.get('hits', 0)} hits, recall page {fault.get('tokens', 0)} tokens")
            for it in found:
                print(f"    recalled {it.id}: {it.text[:90]}…")
            print(f"  prompt: {n} tokens\n  A: {answer}")
        if proc.exit_reason != "exited":
            print(f"reader ended: {proc.exit_reason} {proc.error}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
