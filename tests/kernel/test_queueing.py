"""Queueing is not failure: time READY (waiting for a model slot) counts neither against the syscall
timeout nor against an ``llm_seconds`` budget, and ps shows it."""
import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel.api.messages import ProcRow
from llmos.format import PS_HEADER, ps_rows
from llmos.top.view import COLUMNS, SORT_KEYS, cells

pytestmark = pytest.mark.anyio

AGENT = """
async def run(sys, task):
    out = []
    for step in range(2):
        r = await sys.llm.chat(task + " step " + str(step), max_tokens=50)
        out.append(r.text)
    return " | ".join(out)
"""
REPLY = " ".join(["w"] * 8)


async def test_agents_queued_far_longer_than_the_syscall_timeout_all_finish(kernel_factory, make_app):
    # each call needs ~0.1 s of the one slot; 12 agents x 2 calls queue for several seconds each,
    # many times the 0.4 s syscall timeout (the same ratio as 10 minutes queued under a 120 s limit)
    make_app("agent", code=AGENT)
    timeout = 0.4
    eng = ScriptedEngine(default=REPLY, n_slots=1, token_delay=0.012)
    async with kernel_factory(eng, policy="fifo", syscall_timeout=timeout) as k:
        pids = [await k.spawn("agent", f"agent {i}") for i in range(12)]
        procs = [await k.wait(pid, timeout=60) for pid in pids]
    failed = [(p.pid, p.error) for p in procs if p.exit_reason != "exited"]
    assert not failed
    assert all(p.result == f"{REPLY} | {REPLY}" for p in procs)
    longest = max(p.usage.ready_seconds for p in procs)
    assert longest > 5 * timeout  # they really were queued far beyond the limit
    for p in procs:  # and the model time charged is only what each call computed
        assert p.usage.llm_seconds < 2 * 0.012 * 8 * 2 + 0.5


async def test_the_timeout_still_bounds_driver_work_after_a_long_queue(kernel_factory, make_app):
    # queued ~1.2 s behind a hog (not counted), then a call whose own work takes ~1.2 s > 0.6 s: a timeout
    make_app("slow", code="""
async def run(sys, task):
    try:
        await sys.llm.chat(task, max_tokens=200)
    except Exception as exc:
        return f"{exc.code}:{exc}"
    return "finished"
""")
    eng = ScriptedEngine(default=" ".join(["w"] * 40), n_slots=1, token_delay=0.03)
    async with kernel_factory(eng, policy="fifo", syscall_timeout=0.6) as k:
        hog = await k.spawn("slow", "hog")
        while k.sched.busy == 0:
            await anyio.sleep(0.005)
        late = await k.spawn("slow", "late")
        p_hog, p_late = await k.wait(hog, timeout=30), await k.wait(late, timeout=30)
    assert p_hog.result.startswith("timeout:")
    assert p_late.result == "timeout:timeout: llm.chat did not finish within 0.6 s"
    assert p_late.usage.ready_seconds > 0.3  # it waited for the hog's slot first, and that did not count


async def test_llm_seconds_budget_counts_compute_not_queueing(kernel_factory, make_app):
    make_app("agent", code=AGENT, budgets="llm_seconds = 0.6")
    eng = ScriptedEngine(default=REPLY, n_slots=1, token_delay=0.012)
    async with kernel_factory(eng, policy="fifo") as k:
        pids = [await k.spawn("agent", f"agent {i}") for i in range(10)]
        procs = [await k.wait(pid, timeout=60) for pid in pids]
    assert [p.exit_reason for p in procs] == ["exited"] * 10
    last = max(procs, key=lambda p: p.usage.ready_seconds)
    assert last.usage.ready_seconds > 0.6 > last.usage.llm_seconds  # queued longer than its whole budget


async def test_ps_shows_ready_time(kernel_factory, make_app):
    make_app("agent", code=AGENT)
    eng = ScriptedEngine(default=REPLY, n_slots=1, token_delay=0.01)
    async with kernel_factory(eng, policy="fifo") as k:
        pids = [await k.spawn("agent", f"agent {i}") for i in range(4)]
        for pid in pids:
            await k.wait(pid, timeout=30)
        infos = [k.info(k.ptable.get(pid)) for pid in pids]
    waited = max(infos, key=lambda i: i.ready_time)
    assert waited.ready_time > 0.1
    assert waited.cpu_time < 2 * 0.01 * 8 * 2 + 0.5
    top_row = ProcRow(**{f: getattr(waited, f) for f in waited.__struct_fields__})  # what ps and top get
    row = dict(zip(PS_HEADER, ps_rows([top_row])[0]))
    assert row["READY"] == f"0:{waited.ready_time:04.1f}"
    assert dict(zip(COLUMNS, cells(top_row)))["READY"] == row["READY"]
    assert SORT_KEYS["READY"](top_row) == waited.ready_time
