"""KV that follows a process across its syscalls, on the real embedded model: kept, parked under slot
pressure, restored with nothing computed again, and held within its memory and disk bounds."""
from __future__ import annotations

import anyio
import pytest

from drivers.llm import GenRequest, LlamaEngine, Message

pytestmark = [pytest.mark.real_model, pytest.mark.anyio]

THREADS = 1  # one decode thread: on a loaded machine two spin at OpenMP barriers and run many times slower
SYSTEM = Message("system", "You are a careful assistant who answers questions about geography in one sentence.")


def _req(messages: list[Message], key: str, max_tokens: int = 12) -> GenRequest:
    return GenRequest(messages=messages, key=key, keep_kv=True, max_tokens=max_tokens)


async def _agent_steps(eng: LlamaEngine, pressure: bool) -> tuple[list[int], GenRequest]:
    """Step 1 of agent A, then (maybe) two other agents fill both slots while A is in its 'tool call',
    then A's step 2 over the whole conversation."""
    convo = [SYSTEM, Message("user", "What is the capital of France?")]
    first = await eng.generate(_req(convo, "A"))
    if pressure:
        async def other(i: int) -> None:
            await eng.generate(_req([Message("user", f"Name a river in country number {i}.")], f"B{i}"))
        async with anyio.create_task_group() as tg:
            for i in range(eng.n_slots):
                tg.start_soon(other, i)
    convo += [Message("assistant", first.text), Message("user", "Tool result: population 2.1 million. And Italy?")]
    second = _req(convo, "A")
    res = await eng.generate(second)
    return res.tokens, res


async def test_a_process_back_from_a_tool_call_under_pressure_gets_its_kv_back(model_path, tmp_path):
    quiet = LlamaEngine(model_path, n_slots=2, n_ctx=2048, n_threads=THREADS)
    async with quiet:
        expected, _ = await _agent_steps(quiet, pressure=False)
    eng = LlamaEngine(model_path, n_slots=2, n_ctx=2048, n_threads=THREADS, kv_swap_dir=str(tmp_path / "swap"))
    async with eng:
        got, res = await _agent_steps(eng, pressure=True)
        st, store = eng.stats(), eng.kv_store_stats()
    assert store["saves"] >= 1 and store["restores"] >= 1  # A's KV was parked, then restored
    assert st.reprefills == 0 and st.reprefill_tokens == 0 and st.follow_resumes >= 1
    assert res.prompt_tokens < 40 < res.cached_tokens  # only the new turn was computed
    assert got == expected  # the same greedy output as without pressure


async def test_the_kv_memory_bound_holds_under_64_processes(model_path, tmp_path):
    mem, disk = 6 << 20, 12 << 20
    eng = LlamaEngine(model_path, n_slots=4, n_ctx=4096, n_threads=THREADS, kv_store_bytes=mem,
                      kv_swap_dir=str(tmp_path / "swap"), kv_swap_bytes=disk)
    sent = 0
    async with eng:
        async def agent(i: int) -> None:
            nonlocal sent
            convo = [SYSTEM, Message("user", f"Question {i}: which ocean is west of country {i}?")]
            first = await eng.generate(_req(convo, str(i), max_tokens=2))
            eng.kv_pause(str(i), 0.5 + (i % 7))
            await anyio.sleep(0.01 * (i % 5))  # the 'tool call'
            convo += [Message("assistant", first.text), Message("user", f"Observation {i}: it is deep.")]
            second = await eng.generate(_req(convo, str(i), max_tokens=2))
            sent += len(first.prompt) + len(second.prompt)
        async with anyio.create_task_group() as tg:
            for i in range(64):
                tg.start_soon(agent, i)
        st, store = eng.stats(), eng.kv_store_stats()
    assert store["peak_bytes"] <= mem and store["peak_disk_bytes"] <= disk
    assert store["saves"] > 0 and (store["spills"] + store["dropped"]) > 0  # the bounds were really pressed
    assert st.prompt_tokens_sent == sent and st.tokens_prefilled <= sent
    assert st.follow_resumes + st.reprefills == 64  # every second step is counted: resumed or re-prefilled
    assert not list((tmp_path / "swap").glob("kv-*"))  # spill files removed at close
