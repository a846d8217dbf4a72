"""The ``plas`` policy: least attained service over a process's life first, with aging so no call starves."""
import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.llm import ScriptedEngine
from kernel import Process, Scheduler

pytestmark = pytest.mark.anyio


def _proc(pid: int, service: float) -> Process:
    p = Process(pid, 0, "app", "task")
    p.usage.llm_seconds = service
    return p


async def _grant_order(sched: Scheduler, procs: list[Process]) -> list[int]:
    """Hold the one slot, queue ``procs`` in order, then release it and record who gets it."""
    order: list[int] = []
    holder = _proc(999, 0.0)

    async def ask(p: Process) -> None:
        async with sched.slot(p):
            order.append(p.pid)
            await anyio.sleep(0)

    async with anyio.create_task_group() as tg:
        async with sched.slot(holder):
            for p in procs:
                tg.start_soon(ask, p)
                while sched.queued < len(order) + procs.index(p) + 1:
                    await anyio.sleep(0)
    return order


async def test_least_attained_service_goes_first():
    sched = Scheduler(1, "plas")
    procs = [_proc(1, 5.0), _proc(2, 0.5), _proc(3, 2.0), _proc(4, 0.0)]
    assert await _grant_order(sched, procs) == [4, 2, 3, 1]


async def test_priority_comes_before_attained_service():
    """plas is the default: an app's priority (and what a waiting parent lends) still orders first."""
    sched = Scheduler(1, "plas")
    urgent, idle, plain = _proc(1, 9.0), _proc(2, 0.0), _proc(3, 1.0)
    urgent.priority, idle.priority = 5, 30
    assert await _grant_order(sched, [idle, plain, urgent]) == [1, 3, 2]


async def test_a_call_overtaken_max_bypass_times_goes_next():
    sched = Scheduler(1, "plas", max_bypass=2)
    procs = [_proc(1, 9.0), _proc(2, 1.0), _proc(3, 1.0), _proc(4, 1.0)]
    order = await _grant_order(sched, procs)
    assert order == [2, 3, 1, 4]  # pid 1 was overtaken twice: aged, it goes before pid 4
    assert sched.max_bypassed == 2


async def test_a_call_waiting_age_s_goes_next():
    sched = Scheduler(1, "plas", age_s=0.05)
    heavy, light = _proc(1, 9.0), _proc(2, 0.0)
    order: list[int] = []

    async def ask(p: Process) -> None:
        async with sched.slot(p):
            order.append(p.pid)

    async with anyio.create_task_group() as tg:
        async with sched.slot(_proc(999, 0.0)):
            tg.start_soon(ask, heavy)
            while sched.queued < 1:
                await anyio.sleep(0)
            await anyio.sleep(0.06)  # heavy has now waited past age_s
            tg.start_soon(ask, light)
            while sched.queued < 2:
                await anyio.sleep(0)
    assert order == [1, 2]


async def test_plas_never_preempts():
    sched = Scheduler(1, "plas", quantum=1)
    running, waiting = _proc(1, 100.0), _proc(2, 0.0)
    async with anyio.create_task_group() as tg:
        async with sched.slot(running):
            tg.start_soon(lambda: _hold(sched, waiting))
            while sched.queued < 1:
                await anyio.sleep(0)
            assert not any(sched.tick(running, 50) for _ in range(10))


async def _hold(sched: Scheduler, p: Process) -> None:
    async with sched.slot(p):
        pass


def test_bad_aging_settings_are_a_clear_error():
    with pytest.raises(ValueError, match="age_s"):
        Scheduler(1, "plas", age_s=0)
    with pytest.raises(ValueError, match="max_bypass"):
        Scheduler(1, "plas", max_bypass=0)


AGENT = """
async def run(sys, task):
    steps, words = task.split()
    for i in range(int(steps)):
        await sys.llm.chat("step " + str(i), max_tokens=int(words))
    return "done"
"""


async def _run_programs(kernel_factory, make_app, programs, n_slots, max_bypass, age_s=60.0):
    make_app("agent", code=AGENT)
    eng = ScriptedEngine(default=lambda req: " ".join(["w"] * req.max_tokens), n_slots=n_slots, token_delay=0.001)
    async with kernel_factory(eng, policy="plas", scheduler_max_bypass=max_bypass, scheduler_age_s=age_s) as k:
        pids = [await k.spawn("agent", f"{steps} {words}") for steps, words in programs]
        procs = [await k.wait(pid, timeout=120) for pid in pids]
        return procs, k.sched.max_bypassed


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 12)), min_size=2, max_size=10),
       n_slots=st.integers(1, 3), max_bypass=st.integers(1, 4))
async def test_property_plas_starves_no_one(kernel_factory, make_app, programs, n_slots, max_bypass):
    """Whatever the mix of programs, every one finishes and no waiting call is overtaken by more
    than ``max_bypass`` later calls: each waiting call is served within that bound."""
    procs, worst = await _run_programs(kernel_factory, make_app, programs, n_slots, max_bypass)
    assert [p.exit_reason for p in procs] == ["exited"] * len(programs)
    assert worst <= max_bypass


async def test_without_the_bound_a_heavy_program_is_overtaken_again_and_again(kernel_factory, make_app):
    # what the bound prevents: one long program among many short ones keeps losing to them
    programs = [(6, 30)] + [(3, 2)] * 8
    _, unbounded = await _run_programs(kernel_factory, make_app, programs, 1, max_bypass=10**6)
    _, bounded = await _run_programs(kernel_factory, make_app, programs, 1, max_bypass=2)
    assert unbounded > 2 >= bounded
