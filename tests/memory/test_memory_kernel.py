"""The memory manager inside a running kernel: contexts per process, budgets, stubs, recall, events, CTX."""
from __future__ import annotations

import json

import pytest
from kernelmem import FEEDER, prompt_text

from drivers.llm import ScriptedEngine

pytestmark = pytest.mark.anyio
CALC_AGENT = '[agent]\ntools = ["calculator"]\n'
FACT = "The lighthouse keeper's daughter is called Marisol and she paints seagulls."


def feeder(make_app, name="feeder", memory=("user:*",)):
    folder = make_app(name, code=FEEDER, syscalls=("llm.*", "mem.*"))
    toml = (folder / "app.toml").read_text().replace("[permissions]\n", f"[permissions]\nmemory = {list(memory)!r}\n")
    (folder / "app.toml").write_text(toml.replace("'", '"'))
    return folder


async def test_a_long_conversation_never_exceeds_the_budget(kernel_factory, make_app):
    feeder(make_app)
    eng = ScriptedEngine(default="noted", n_ctx=1024, n_slots=4)  # a 256-token share per process
    async with kernel_factory(eng, subsystems=["memory"]) as k:
        spec = {"seed": 3, "pages": 80, "max_words": 40, "question": "What happened to the rope?", "max_tokens": 32,
                "every": 7}
        pid = await k.spawn("feeder", json.dumps(spec))
        proc = await k.wait(pid, timeout=120)
        assert proc.exit_reason == "exited", proc.error
        assert len(eng.requests) == 1 + 80 // 7
        for req in eng.requests:  # every prompt, as the engine saw it, fits the sequence with its reply
            assert len(req.prompt) + req.max_tokens <= 256
        text = prompt_text(eng, eng.requests[-1])
        assert "[paged out:" in text and "mem.recall brings them back" in text  # the one-line stub
        assert text.endswith("<|user|>What happened to the rope?\n<|assistant|>")  # the question last
        evictions = [e for e in k.events.for_pid(pid) if e["kind"] == "mem.evict"]
        assert evictions and sum(e["written"] for e in evictions) >= 40
        assert all(e["collection"].startswith(f"proc:{k.memory.kernel_id}:") for e in evictions)
        assert 0 < proc.ctx_used <= proc.ctx_limit < 256  # top's CTX column


async def test_a_planted_fact_comes_back_into_the_prompt(kernel_factory, make_app):
    feeder(make_app)
    eng = ScriptedEngine(default="ok", n_ctx=1024, n_slots=4)
    async with kernel_factory(eng, subsystems=["memory"]) as k:
        spec = {"seed": 5, "pages": 70, "max_words": 12, "plant_at": 2, "fact": FACT, "max_tokens": 16,
                "question": "What does the lighthouse keeper's daughter paint?"}
        pid = await k.spawn("feeder", json.dumps(spec))
        proc = await k.wait(pid, timeout=120)
        assert proc.exit_reason == "exited", proc.error
        faults = [e for e in k.events.for_pid(pid) if e["kind"] == "mem.recall"]
        assert faults and faults[-1]["hits"] >= 1
        text = prompt_text(eng, eng.requests[-1])
        assert "Marisol" in text and "Recalled from memory" in text
        assert text.index("Recalled from memory") < text.index("What does the lighthouse")


async def test_the_agent_loop_sends_only_what_is_new(kernel_factory, make_app):
    make_app("calc", syscalls=("llm.*", "tool.*"), tools=("calculator",), toml_extra=CALC_AGENT)
    eng = ScriptedEngine(['{"tool": "calculator", "expression": "6 * 7"}', '{"tool": "answer", "answer": "42"}'])
    async with kernel_factory(eng, subsystems=["memory"]) as k:
        pid = await k.spawn("calc", "What is 6 times 7?")
        proc = await k.wait(pid, timeout=60)
        assert proc.exit_reason == "exited" and proc.result == "42"
        second = prompt_text(eng, eng.requests[1])
        assert "What is 6 times 7?" in second and '"expression": "6 * 7"' in second and "42" in second
        llm_calls = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e["call"] == "llm.json"]
        # the second step sent only the observation: the kernel held the rest as pages
        assert len(llm_calls) == 2 and '"messages":[{"role":"user","content":"Observation' in llm_calls[1]["args"]
    assert k.memory.get(pid) is None  # released on exit


async def test_without_the_memory_manager_the_loop_keeps_the_conversation(kernel_factory, make_app):
    make_app("calc", syscalls=("llm.*", "tool.*"), tools=("calculator",), toml_extra=CALC_AGENT)
    eng = ScriptedEngine(['{"tool": "calculator", "expression": "6 * 7"}', '{"tool": "answer", "answer": "42"}'])
    async with kernel_factory(eng) as k:
        assert k.memory is None
        pid = await k.spawn("calc", "What is 6 times 7?")
        proc = await k.wait(pid, timeout=60)
        assert proc.exit_reason == "exited" and proc.result == "42"
        second = prompt_text(eng, eng.requests[1])  # the loop sent the whole conversation itself
        assert "What is 6 times 7?" in second and "Observation from calculator" in second
        assert not any(e["kind"].startswith("mem.") for e in k.events.for_pid(pid))


async def test_a_failing_disk_does_not_fail_the_step(kernel_factory, make_app):
    from drivers.errors import DriverError
    make_app("calc", syscalls=("llm.*", "tool.*"), tools=("calculator",), toml_extra=CALC_AGENT)
    eng = ScriptedEngine(['{"tool": "answer", "answer": "42"}'])
    async with kernel_factory(eng, subsystems=["memory"]) as k:
        def broken(*a, **kw):
            raise DriverError("disk I/O error", code="io")
        k.memory.store.open = broken  # every read of the store now fails
        proc = await k.wait(await k.spawn("calc", "What is 6 times 7?"), timeout=60)
        assert proc.exit_reason == "exited" and proc.result == "42"
        [fault] = [e for e in k.events.for_pid(proc.pid) if e["kind"] == "mem.fault"]
        assert fault["error"].startswith("io: disk I/O error")


async def test_a_wedged_store_cannot_keep_the_kernel_from_shutting_down(kernel_factory, monkeypatch):
    """chromadb after a full disk can hang holding its lock (tests/reliability/test_faults_vectors.py):
    the kernel's shutdown leaves the stuck close behind instead of waiting for it for good."""
    import threading
    import time

    from kernel.memory import kernelmem as memkernel

    monkeypatch.setattr(memkernel, "CLOSE_TIMEOUT", 0.3)
    release = threading.Event()
    async with kernel_factory(subsystems=["memory"]) as k:
        monkeypatch.setattr(k.memory.store, "close", lambda: release.wait(30))
        t0 = time.monotonic()
    try:
        assert time.monotonic() - t0 < 5
        assert any(e["kind"] == "mem.store" and not e.get("ok", True) and "left behind" in e.get("error", "")
                   for e in k.events.recent)
    finally:
        release.set()
