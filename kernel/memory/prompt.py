"""Generation from a process's context: new messages become pages, a page fault recalls, the reply is kept.

``llm.chat`` and ``llm.json`` with ``context=True`` come here (see docs/memory.md, "The
agent loop and the context").  The prompt is built from the process's pages and checked
with the engine's own chat template against what is left of the sequence's context after
``max_tokens``; whatever is over is paged out first, so the model never sees more than fits."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from drivers.errors import DriverError
from drivers.llm import GenRequest, Message
from drivers.vectors import Hit
from kernel.memory import ContextFull, Page, ProcessMemory
from kernel.memory.sysmem import memories, memory_of, typed_errors
from kernel.proc.process import Process
from syscalls import mem

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.memory.kernelmem import KernelMemory

QUERY_CHARS = 600


async def prepare(k: "Kernel", proc: Process, messages: Sequence[Any], gen: GenRequest) -> GenRequest:
    """Add ``messages`` to the context, take the page fault, and set ``gen.prompt`` from the pages."""
    mm, pm = memory_of(k, proc)
    msgs = [(m.role, m.content) for m in messages]
    with typed_errors():
        gen.prompt, hits = await mm.run(build, mm, pm, proc.task, msgs, gen.max_tokens)
    gen.messages = None
    if hits and k.rules is not None:  # paged-in memories count as a mem.recall the process made
        k.rules.observe(proc, "mem.recall", mem.Recalled(memories=memories(hits)))
    return gen


async def commit(k: "Kernel", proc: Process, text: str) -> None:
    """The model's reply is part of the conversation: it becomes an assistant page."""
    mm, pm = memory_of(k, proc)
    with typed_errors():
        await mm.run(pm.add, Page(text=text, kind="message", role="assistant"))


def build(mm: "KernelMemory", pm: ProcessMemory, task: str, msgs: list[tuple[str, str]],
          max_tokens: int) -> tuple[list[int], list[Hit]]:
    """Blocking (a worker thread): pages in, recall, then the prompt's tokens and the hits recalled."""
    ctx = pm.context
    *head, last = msgs
    for role, text in head:
        add_message(pm, role, text)
    hits: list[Hit] = []
    if mm.cfg.recall_k and last[0] != "system":
        query = fault_query(task, last[1])
        try:
            _, hits = pm.page_fault(query, k=mm.cfg.recall_k, threshold=mm.cfg.recall_threshold,
                          max_tokens=max(16, int(ctx.limit * mm.cfg.recall_share)))
        except DriverError as exc:  # the disk failed a read: the step runs on what is in RAM
            pm.on_event("mem.fault", query=query[:200], hits=0, error=f"{exc.code}: {exc}"[:300])
    add_message(pm, *last)
    return fit(mm, pm, max_tokens), hits


def add_message(pm: ProcessMemory, role: str, text: str) -> None:
    ctx = pm.context
    if role == "system":
        current = next((p for p in ctx.pages if p.kind == "system"), None)
        if current is None or current.text != text:
            ctx.set_system(text)  # the first system message is the system page; a new one replaces it
        return
    if role == "tool":  # a tool's output: data, never instructions
        ctx.add(Page(text=text, kind="observation", role="tool", untrusted=True, source="tool"))
        return
    ctx.add(Page(text=text, kind="message", role=role))


def fault_query(task: str, latest: str) -> str:
    """What the step is about: the latest input, and the task it serves."""
    latest, task = latest.strip()[-QUERY_CHARS:], task.strip()[:QUERY_CHARS]
    return latest if not task or task in latest else f"{latest}\n{task}"


def fit(mm: "KernelMemory", pm: ProcessMemory, max_tokens: int) -> list[int]:
    """The prompt's tokens, as the engine's template renders the pages, within the sequence's
    context less ``max_tokens``; pages are paged out until it fits."""
    proc = mm.k.ptable.get(pm.pid)
    ctx, engine, share = pm.context, mm.engine_of(pm.pid), mm.share(proc)
    room = share - max_tokens
    if room <= 0:
        raise ValueError(f"max_tokens={max_tokens} leaves no room for a prompt in a {share}-token context")
    for _ in range(16):
        prompt = engine.apply_template([Message(**m) for m in ctx.pages_for_prompt()])
        over = len(prompt) - room
        if over <= 0:
            return prompt
        if ctx.evict(ctx.free + over) <= 0:
            break
    raise ContextFull(f"the pages that may not be paged out need more than the {room} tokens "
                      f"max_tokens={max_tokens} leaves; lower max_tokens or unpin something")
