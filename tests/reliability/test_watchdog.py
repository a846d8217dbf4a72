"""The watchdog: a repeated call is refused with a typed error, a repeated LLM output gets a warning
page, no progress is noticed; a process that goes on looping ends with exit reason ``looping``."""
import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import State

pytestmark = pytest.mark.anyio
WD = ["watchdog"]

STUBBORN = """
from syscalls.errors import SyscallError
async def run(sys, task):
    errors = []
    for _ in range(20):
        try:
            await sys.fs.stat(".")
        except SyscallError as e:
            errors.append(e.code)
    return errors
"""
LEARNS = """
from syscalls.errors import SyscallError
async def run(sys, task):
    for _ in range(10):
        try:
            await sys.fs.write("a.txt", "x")
        except SyscallError as e:
            assert e.code == "looping" and not e.retryable, e
            await sys.fs.write("b.txt", "y")  # a different approach
            return "changed approach"
    return "never warned"
"""


def _events(k, pid, kind):
    return [e for e in k.events.for_pid(pid) if e["kind"] == kind]


async def test_a_repeated_call_is_refused_then_the_process_is_killed(kernel_factory, make_app):
    make_app("stubborn", code=STUBBORN, syscalls=["fs.*"])
    async with kernel_factory(subsystems=WD) as k:
        pid = await k.spawn("stubborn")
        p = await k.wait(pid, timeout=10)
        assert p.state == State.KILLED and p.exit_reason == "looping" and p.exit_status == 137
        assert p.usage.syscalls == 6  # two fine, the third warned and refused, refused twice more, killed
        (warn,) = _events(k, pid, "watchdog.warn")
        assert warn["sign"] == "call" and "fs.stat" in warn["evidence"] and "3 times" in warn["evidence"]
        (stop,) = _events(k, pid, "watchdog.stop")
        assert stop["action"] == "kill" and stop["evidence"] == warn["evidence"]
        refused = [e for e in _events(k, pid, "syscall") if e.get("error") == "looping"]
        assert len(refused) == 3
        # the kernel keeps serving others
        make_app("fine", code="async def run(sys, task):\n    return (await sys.fs.stat('.')).kind\n",
                 syscalls=["fs.*"])
        assert (await k.wait(await k.spawn("fine"), timeout=5)).result == "dir"


async def test_a_process_that_heeds_the_warning_goes_on(kernel_factory, make_app):
    make_app("learns", code=LEARNS, syscalls=["fs.*"])
    async with kernel_factory(subsystems=WD) as k:
        p = await k.wait(await k.spawn("learns"), timeout=10)
        assert p.exit_reason == "exited" and p.result == "changed approach"


async def test_stop_action_suspends_the_looping_process(kernel_factory, make_app):
    make_app("stubborn", code=STUBBORN, syscalls=["fs.*"])
    async with kernel_factory(subsystems=WD, watchdog_action="stop") as k:
        pid = await k.spawn("stubborn")
        with anyio.fail_after(10):
            while k.ptable.get(pid).state != State.STOPPED:
                await anyio.sleep(0.01)
        assert _events(k, pid, "watchdog.stop")[0]["action"] == "stop"
        k.signal(pid, "KILL")
        assert (await k.wait(pid, timeout=5)).exit_reason == "killed"


async def test_the_agent_loop_gets_a_warning_page_for_repeated_output(kernel_factory, make_app):
    """The scripted model insists on the same action; the agent loop answers each from its cache, so
    only the repeated output shows the loop.  The next request carries the warning page."""
    make_app("agent", tools=("clock",), syscalls=["llm.*", "tool.*"], toml_extra="[agent]\ntools = [\"clock\"]\nmax_steps = 12\n")
    eng = ScriptedEngine(default='{"tool": "clock"}')
    async with kernel_factory(eng, subsystems=WD) as k:
        pid = await k.spawn("agent", "what time is it?")
        p = await k.wait(pid, timeout=10)
        assert p.exit_reason == "looping"
        (warn,) = _events(k, pid, "watchdog.warn")
        assert warn["sign"] == "output" and "same output 3 times" in warn["evidence"]
        prompts = [eng.detokenize(r.prompt) for r in eng.requests]
        assert "Watchdog warning" not in prompts[2] and "Watchdog warning" in prompts[3]
        assert len(eng.requests) == 5  # warned after 3, two more chances, then killed


async def test_no_progress_is_noticed(kernel_factory, make_app):
    make_app("circles", syscalls=["fs.*"], code="""
async def run(sys, task):
    await sys.fs.write("a", "1")
    for i in range(100):
        await sys.fs.read("a")
        await sys.fs.stat("a")
    return "done"
""")
    async with kernel_factory(subsystems=WD, watchdog_steps=6) as k:
        pid = await k.spawn("circles")
        p = await k.wait(pid, timeout=10)
        assert p.exit_reason == "looping"
        assert _events(k, pid, "watchdog.warn")[0]["sign"] == "progress"


async def test_varied_work_is_left_alone(kernel_factory, make_app):
    make_app("busy", syscalls=["fs.*", "llm.*"], code="""
async def run(sys, task):
    for i in range(30):
        await sys.fs.write(f"f{i}", str(i))
        await sys.llm.chat(f"step {i}", max_tokens=4)
    return "done"
""")
    eng = ScriptedEngine(default=lambda req: f"reply {len(eng.requests)}")
    async with kernel_factory(eng, subsystems=WD) as k:
        p = await k.wait(await k.spawn("busy"), timeout=10)
        assert p.exit_reason == "exited" and p.result == "done" and k.watchdog.warnings == 0


async def test_independent_questions_answered_alike_are_not_a_loop(kernel_factory, make_app):
    """A batch classifier gets 'yes' for many different items: the same output, but no conversation
    going round, so no warning."""
    make_app("classify", syscalls=["llm.*"], code="""
async def run(sys, task):
    return [(await sys.llm.chat(f"Is {i} a number?", max_tokens=2)).text for i in range(12)]
""")
    async with kernel_factory(ScriptedEngine(default="yes"), subsystems=WD) as k:
        p = await k.wait(await k.spawn("classify"), timeout=10)
        assert p.exit_reason == "exited" and p.result.count("yes") == 12 and k.watchdog.warnings == 0
