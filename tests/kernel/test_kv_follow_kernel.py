"""The kernel's side of KV that follows a process: requests ask to keep KV, syscall durations are learned
per tool and passed on as hints, and a process's KV is forgotten when it ends."""
import pytest

from drivers.llm import ScriptedEngine
from kernel.sched.kvfollow import FIRST_GUESS_S, PauseClock

pytestmark = pytest.mark.anyio


class RecordingEngine(ScriptedEngine):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.pauses: list[tuple[str, float]] = []
        self.forgotten: list[str] = []

    def kv_pause(self, key: str, idle_s: float) -> None:
        self.pauses.append((key, idle_s))

    def kv_forget(self, key: str) -> None:
        self.forgotten.append(key)


AGENT = """
async def run(sys, task):
    for i in range(3):
        await sys.llm.chat("step " + str(i), max_tokens=5)
        try:
            await sys.proc.recv(timeout=0.2)
        except Exception:
            pass
        await sys.tool.call("calculator", expression="1 + 1")
    return "done"
"""


async def test_hints_are_learned_per_syscall_and_tool(kernel_factory, make_app):
    make_app("agent", code=AGENT, syscalls=["llm.*", "proc.*", "tool.*"])
    eng = RecordingEngine(default="ok")
    async with kernel_factory(eng, kv_follow=True) as k:
        p = await k.wait(await k.spawn("agent", ""), timeout=30)
        learned = dict(k.pauses.mean_s)
    assert p.exit_reason == "exited"
    assert all(r.keep_kv and r.key == str(p.pid) for r in eng.requests)
    recv = [s for key, s in eng.pauses if key == str(p.pid)][0::2]  # recv, calculator, recv, calculator ...
    assert recv[0] == FIRST_GUESS_S and abs(recv[1] - 0.2) < 0.1  # the second recv is expected to last ~0.2 s
    assert abs(learned["proc.recv"] - 0.2) < 0.1 and learned["tool.call:calculator"] < 0.2
    assert eng.forgotten == [str(p.pid)]


async def test_without_kv_follow_nothing_is_kept_or_hinted(kernel_factory, make_app):
    make_app("agent", code=AGENT, syscalls=["llm.*", "proc.*", "tool.*"])
    eng = RecordingEngine(default="ok")
    async with kernel_factory(eng, kv_follow=False) as k:  # on by default (docs/performance.md): switched off
        p = await k.wait(await k.spawn("agent", ""), timeout=30)
    assert p.exit_reason == "exited"
    assert not any(r.keep_kv for r in eng.requests) and eng.pauses == [] and eng.forgotten == []


def test_pause_clock_moving_average_and_bound():
    c = PauseClock()
    c.observe("tool.call:search", 2.0)
    c.observe("tool.call:search", 1.0)
    assert c.expect("tool.call:search") == pytest.approx(1.7)
    assert c.expect("never.seen") == FIRST_GUESS_S
