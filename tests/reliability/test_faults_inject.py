"""The fault-injection switch: named call sites fail, hang or break mid-stream on demand."""
import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.reliability.faults import FaultPlan

pytestmark = pytest.mark.anyio

ASK = """
from syscalls.errors import SyscallError
async def run(sys, task):
    try:
        if task == "tool":
            return "ok:" + (await sys.tool.call("clock", {})).output[:4]
        return "ok:" + (await sys.llm.chat(task, max_tokens=8)).text
    except SyscallError as e:
        return f"{e.code}:{e.retryable}"
"""


def test_plan_parsing():
    p = FaultPlan("llm.submit=error*2, sandbox.exec=hang")
    assert p.faults["llm.submit"].left == 2 and p.faults["sandbox.exec"].kind == "hang"
    for bad in ("llm.submit", "x=explode", "x=error*two", "=error"):
        with pytest.raises(ValueError, match="bad fault"):
            FaultPlan(bad)
    assert not FaultPlan("")


async def _ask(kernel_factory, make_app, faults, task="hi", **cfg):
    make_app("ask", code=ASK, syscalls=["llm.*", "tool.*"])
    async with kernel_factory(ScriptedEngine(default="fine thanks"), subsystems=["faults"], faults=faults,
                              **cfg) as k:
        pid = await k.spawn("ask", task)
        p = await k.wait(pid, timeout=10)
        retries = sum(e["kind"] == "syscall.retry" for e in k.events.for_pid(pid))
        ok = await k.wait(await k.spawn("ask", "again"), timeout=10)  # still serving
        return p.result, retries, ok.result, k


async def test_transient_engine_errors_are_retried(kernel_factory, make_app):
    result, retries, _, k = await _ask(kernel_factory, make_app, "llm.submit=error*2")
    assert result == "ok:fine thanks" and retries == 2 and k.faults.faults["llm.submit"].fired == 2


async def test_a_stream_broken_midway_is_a_typed_error_and_not_retried_when_fatal(kernel_factory, make_app):
    result, retries, ok, _ = await _ask(kernel_factory, make_app, "llm.stream=fatal*1")
    assert result == "llm_error:False" and retries == 0 and ok == "ok:fine thanks"


async def test_persistent_errors_reach_the_process_after_three_tries(kernel_factory, make_app):
    result, retries, ok, _ = await _ask(kernel_factory, make_app, "llm.submit=timeout*3")
    assert result == "llm_error:True" and retries == 2 and ok == "ok:fine thanks"


async def test_a_hang_ends_at_the_syscall_timeout(kernel_factory, make_app):
    result, _, ok, _ = await _ask(kernel_factory, make_app, "llm.submit=hang*1", syscall_timeout=0.5)
    assert result == "timeout:True" and ok == "ok:fine thanks"


async def test_a_failing_tool_is_not_retried(kernel_factory, make_app):
    """tool.call may have effects: it is never retried by the kernel; the app decides."""
    result, retries, _, _ = await _ask(kernel_factory, make_app, "tools.clock.call=error*1", task="tool")
    assert result == "unavailable:True" and retries == 0


async def test_a_bad_plan_leaves_the_kernel_up(kernel_factory, make_app):
    make_app("ask", code=ASK, syscalls=["llm.*"])
    async with kernel_factory(ScriptedEngine(default="up"), subsystems=["faults"], faults="nonsense") as k:
        bad = [e for e in k.events.recent if e["kind"] == "kernel.subsystem" and not e["ok"]]
        assert "bad fault" in bad[0]["error"]
        assert (await k.wait(await k.spawn("ask", "x"), timeout=5)).result == "ok:up"


class _HungDriver:
    """A sandbox whose clean-up never returns, like a Docker engine that stopped answering."""

    async def release(self, owner):
        await anyio.sleep_forever()


async def test_a_hung_driver_or_hook_cannot_keep_a_process_from_ending(tmp_path, registry, make_app):
    make_app("quick3", code="async def run(sys, task):\n    return 'done'\n")
    cfg = KernelConfig(home=str(tmp_path / "h"), subsystems=[], syscall_timeout=0.3)
    async with Kernel(cfg, engine=ScriptedEngine(default="x"), registry=registry, sandbox=_HungDriver()) as k:
        async def hung_hook(proc):
            await anyio.sleep_forever()
        k.hooks.exit.append(hung_hook)
        with anyio.fail_after(5):
            p = await k.wait(await k.spawn("quick3"))
        assert p.result == "done" and p.exit_status == 0
        assert any(e["kind"] == "kernel.hook" and "TimeoutError" in e["error"] for e in k.events.recent)
