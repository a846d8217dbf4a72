"""Swap: a STOPped process's context goes to bytes and comes back after a restart, evicted pages included."""
from __future__ import annotations

import msgspec
import pytest
from memhelpers import words

from drivers.vectors import VectorStore
from kernel.memory import Context, MemoryRegistry, Page


def test_context_survives_a_kernel_restart(tmp_path, embedding, events):
    path = tmp_path / "home" / "vectors"
    disk = VectorStore(path, embedding=embedding)
    svc = MemoryRegistry(disk, kernel_id="kX", on_event=events)
    pm = svc.open(5, app="assistant", user="ann", limit=120, count_tokens=words, policy="scored",
                  system="You are Ann's assistant.")
    pm.mem_pin(text="Ann is vegetarian.")
    for n in range(60):
        pm.add(Page(text=f"turn {n}: " + ("the spare key is under the blue flowerpot" if n == 2 else
                                          f"small talk about topic {n}"), role="user"))
    pm.context.touch(pm.context.pages[-1].id)
    journal = pm.to_bytes()
    before = pm.context.pages_for_prompt()
    stats = pm.context.stats()
    disk.close()  # the kernel goes down

    disk2 = VectorStore(path, embedding=embedding)  # ... and comes back
    svc2 = MemoryRegistry(disk2, kernel_id="kX")
    assert svc2.reap(live_pids=[5]) == []  # the journaled process's collection is kept
    pm2 = svc2.resume(5, journal, app="assistant", user="ann", count_tokens=words)
    assert pm2.context.pages_for_prompt() == before
    assert pm2.context.stats() == stats and pm2.context.policy.name == "scored"
    assert pm2.context.pages[-1].uses == 1
    page = pm2.recall_for("where is the spare key?", k=2, threshold=0.3)
    assert page is not None and "blue flowerpot" in page.text
    pm2.add(Page(text="one more turn after resuming"))
    assert pm2.context.used <= pm2.context.limit
    disk2.close()


def test_bytes_are_plain_msgpack_with_a_version(count):
    ctx = Context(50, count)
    ctx.set_system("hello there")
    ctx.add(Page(text="a message", untrusted=True, source="browser"))
    data = ctx.to_bytes()
    raw = msgspec.msgpack.decode(data)
    assert raw["version"] == 1 and raw["limit"] == 50 and len(raw["pages"]) == 2
    back = Context.from_bytes(data, count)
    assert back.pages_for_prompt() == ctx.pages_for_prompt()
    raw["version"] = 99
    with pytest.raises(ValueError):
        Context.from_bytes(msgspec.msgpack.encode(raw), count)


def test_reap_drops_collections_of_processes_that_are_gone(disk):
    svc = MemoryRegistry(disk, kernel_id="kR")
    for pid in (1, 2, 3):
        pm = svc.open(pid, app="a", user="u", limit=10, count_tokens=words)
        for n in range(6):
            pm.add(Page(text=f"p{pid} message {n} with words"))
    other = MemoryRegistry(disk, kernel_id="kOther").open(1, app="a", user="u", limit=10, count_tokens=words)
    for n in range(6):
        other.add(Page(text=f"other kernel message {n}"))
    dropped = svc.reap(live_pids=[2])
    assert sorted(dropped) == ["proc:kR:1", "proc:kR:3"]
    assert disk.count("proc:kR:2") > 0 and disk.count("proc:kOther:1") > 0
