"""The sandbox inside the kernel: tool.call python/shell, workspace files, KILL, halt, budgets, no engine."""
from __future__ import annotations

import json
import subprocess
import uuid

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import State

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

SYSCALLS = ("tool.*", "fs.*", "proc.*")


def _host_count(tag: str) -> int:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return sum(line.startswith(tag) for line in ps.splitlines())


async def _gone(tag: str) -> bool:
    for _ in range(100):
        if not _host_count(tag):
            return True
        await anyio.sleep(0.1)
    return False


def _mine(engine, k) -> list:
    return engine.containers.list(all=True, filters={"label": f"llmos.kernel={k.sandbox.kernel_id}"})


async def test_process_computes_with_python(engine, kernel_factory, make_app):
    make_app("calc", syscalls=SYSCALLS, tools=("python",), code="""
        async def run(sys, task):
            r = await sys.tool.call("python", code="import math\\nprint(sum(i * i for i in range(10)), math.factorial(12))")
            return {"output": r.output, "data": r.data}
        """)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        pid = await k.spawn("calc")
        p = await k.wait(pid, timeout=120)
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["data"]["stdout"] == "285 479001600\n"
        assert res["data"]["exit_code"] == 0 and res["data"]["killed"] == ""
        assert res["data"]["duration_s"] > 0
        assert res["output"].startswith("285 479001600\n[exit code 0,")
        assert p.usage.sandbox_cpu_seconds > 0


async def test_workspace_files_go_in_and_come_back(engine, kernel_factory, make_app):
    make_app("files", syscalls=SYSCALLS, tools=("shell", "python"), code="""
        async def run(sys, task):
            await sys.fs.write("data/nums.txt", "3 4 5")
            r = await sys.tool.call("shell", code="mkdir -p out && python3 -c 'import sys; "
                                    "print(sum(map(int, open(sys.argv[1]).read().split())))' data/nums.txt"
                                    " > out/sum.txt && ln -s /etc/passwd out/link",
                                    files=["data"], collect=["out"])
            return {"sum": await sys.fs.read("out/sum.txt"), "data": r.data}
        """)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        pid = await k.spawn("files")
        p = await k.wait(pid, timeout=120)
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["sum"].strip() == "12"
        assert res["data"]["saved"] == ["out/sum.txt"]
        assert any(x.startswith("out/link:") and "symbolic link" in x for x in res["data"]["refused"])
        assert not (k.workspace_path(pid) / "out" / "link").exists()


async def test_tool_needs_a_grant_and_good_arguments(engine, kernel_factory, make_app):
    make_app("nogrant", syscalls=SYSCALLS, tools=("calculator",), code="""
        from syscalls.errors import SyscallError
        async def run(sys, task):
            out = []
            try:
                await sys.tool.call("python", code="print(1)")
            except SyscallError as e:
                out.append(e.code)
            return out
        """)
    make_app("badargs", syscalls=SYSCALLS, tools=("python",), code="""
        from syscalls.errors import SyscallError
        async def run(sys, task):
            out = []
            for args in ({}, {"code": "print(1)", "timeout": -1}, {"code": "print(1)", "files": ["../x"]},
                         {"code": "print(1)", "files": ["missing.txt"]}):
                try:
                    r = await sys.tool.call("python", args)
                    out.append(r.output)
                except SyscallError as e:
                    out.append(e.code)
            return out
        """)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("nogrant"), timeout=60)
        assert json.loads(p.result) == ["permission"]
        p = await k.wait(await k.spawn("badargs"), timeout=60)
        out = json.loads(p.result)
        assert "needs a non-empty 'code'" in out[0]
        assert "positive number" in out[1]
        assert out[2] == "invalid" and out[3] == "not_found"


async def test_kill_destroys_the_process_containers_and_halt_leaves_none(engine, kernel_factory, make_app):
    n = 30000 + uuid.uuid4().int % 9000  # a sleep no one else runs, to find on the host
    make_app("sleeper", syscalls=SYSCALLS, tools=("shell",), code=f"""
        async def run(sys, task):
            await sys.tool.call("shell", code="setsid sleep {n} & nohup sleep {n} & sleep 400", timeout=300)
        """)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        pid = await k.spawn("sleeper")
        for _ in range(300):
            if await k.sandbox.containers(str(pid)):
                break
            await anyio.sleep(0.05)
        ids = await k.sandbox.containers(str(pid))
        assert ids
        for _ in range(200):
            if _host_count(f"sleep {n}") >= 2:
                break
            await anyio.sleep(0.05)
        assert _host_count(f"sleep {n}") >= 2  # both escapees run before the KILL
        k.signal(pid, "KILL")
        p = await k.wait(pid, timeout=30)
        assert p.state == State.KILLED
        assert await k.sandbox.containers(str(pid)) == []
        alive = {c.id for c in engine.containers.list(all=True)}
        assert not set(ids) & alive
        assert await _gone(f"sleep {n}")  # the setsid/nohup orphans died with the container
        await k.sandbox.start(wait_warm=True)
        assert _mine(engine, k)  # the warm pool is up
    assert _mine(engine, k) == []  # after halt: nothing of this kernel is left


async def test_sandbox_cpu_budget_ends_the_process(engine, kernel_factory, make_app):
    make_app("burner", syscalls=SYSCALLS, tools=("python",), budgets="sandbox_cpu_seconds = 0.3", code="""
        async def run(sys, task):
            for _ in range(100):  # each run is capped to what is left; the kernel ends the process
                await sys.tool.call("python", code="while True:\\n    pass", timeout=20)
        """)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("burner"), timeout=120)
        assert p.exit_reason == "budget:sandbox_cpu_seconds", (p.exit_reason, p.error)
        assert 0.3 < p.usage.sandbox_cpu_seconds < 3  # runs were capped near the budget, not at 20 s


async def test_without_an_engine_calls_fail_clearly_and_the_rest_works(kernel_factory, make_app, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///tmp/llmos-no-such-docker.sock")
    make_app("nodocker", syscalls=SYSCALLS, tools=("python", "calculator"), code="""
        from syscalls.errors import SyscallError
        async def run(sys, task):
            try:
                await sys.tool.call("python", code="print(1)")
            except SyscallError as e:
                err = [e.code, e.message]
            calc = await sys.tool.call("calculator", expression="6 * 7")
            await sys.fs.write("ok.txt", "still here")
            return {"err": err, "calc": calc.output}
        """)
    async with kernel_factory(engine=ScriptedEngine(default="ok"), subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("nodocker"), timeout=60)
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["err"][0] == "unavailable"
        assert res["err"][1].startswith("docker engine unix:///tmp/llmos-no-such-docker.sock unreachable: ")
        assert "dockerd" in res["err"][1] and "\n" not in res["err"][1]
        assert res["calc"] == "42"
        for _ in range(100):  # the background start says why there is no sandbox
            ev = [e for e in k.events.recent if e["kind"] == "sandbox.unavailable"]
            if ev:
                break
            await anyio.sleep(0.05)
        assert ev and "docker engine unix:///tmp/llmos-no-such-docker.sock unreachable" in ev[0]["error"]
