"""``llmos exec``: external programs as processes with their own key, output, signals and exit status."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel.proc.execprog import Program, spawn

from .conftest import api_kernel

pytestmark = pytest.mark.anyio

CALLER = textwrap.dedent("""
    import json, os, sys, urllib.request
    req = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"})
    reply = json.load(urllib.request.urlopen(req))
    print("model said:", reply["choices"][0]["message"]["content"])
    print("pid", os.environ["LLMOS_PID"], "app", os.environ["LLMOS_APP"], "home", os.environ["MY_VAR"])
    print("to stderr", file=sys.stderr)
    sys.exit(3)
""")


def outputs(k, pid: int, stream: str = "stdout") -> list[str]:
    return [e["text"] for e in k.events.for_pid(pid) if e["kind"] == "proc.output" and e["stream"] == stream]


async def test_a_program_calls_the_model_as_its_process(kernel_factory, tmp_path):
    async with api_kernel(kernel_factory, ScriptedEngine(default="hello there")) as k:
        prog = Program(argv=[sys.executable, "-c", CALLER], cwd=str(tmp_path), env={"MY_VAR": "mine", "OPENAI_API_KEY": "x"})
        pid = await spawn(k, prog, name="caller")
        proc = k.ptable.get(pid)
        assert (proc.app, proc.task, proc.permissions.syscalls) == ("external", "caller", ["llm.*"])
        await k.wait(pid, timeout=30)
        assert outputs(k, pid) == ["model said: hello there", f"pid {pid} app external home mine"]
        assert outputs(k, pid, "stderr") == ["to stderr"]
        assert (proc.exit_reason, proc.exit_status) == ("exited", 3)
        assert proc.usage.tokens_out == 2 and proc.usage.syscalls == 1
        assert proc.result.endswith(f"pid {pid} app external home mine")
        assert len(k.api_calls.keys) == 0  # its key died with it


async def test_signals_reach_the_program(kernel_factory):
    code = textwrap.dedent("""
        import os, signal, sys, time
        signal.signal(signal.SIGTERM, lambda *a: (print("got TERM", flush=True), sys.exit(7)))
        print(os.getpid(), flush=True)
        while True:
            time.sleep(0.05)
    """)
    async with api_kernel(kernel_factory) as k:
        pid = await spawn(k, Program(argv=[sys.executable, "-c", code]))
        with anyio.fail_after(10):
            while not outputs(k, pid):
                await anyio.sleep(0.02)
        os_pid = int(outputs(k, pid)[0])
        state = lambda: Path(f"/proc/{os_pid}/stat").read_text().rsplit(")", 1)[1].split()[0]  # noqa: E731
        k.signal(pid, "STOP")
        await anyio.sleep(0.2)
        assert state() == "T"
        k.signal(pid, "CONT")
        await anyio.sleep(0.2)
        assert state() in ("S", "R")
        k.signal(pid, "TERM")
        proc = await k.wait(pid, timeout=10)
        assert outputs(k, pid)[-1] == "got TERM" and (proc.exit_reason, proc.exit_status) == ("exited", 7)


async def test_kill_ends_the_program_and_its_group(kernel_factory):
    code = "import os, subprocess, sys, time; c = subprocess.Popen(['sleep', '60']); print(c.pid, flush=True); time.sleep(60)"
    async with api_kernel(kernel_factory) as k:
        pid = await spawn(k, Program(argv=[sys.executable, "-c", code]))
        with anyio.fail_after(10):
            while not outputs(k, pid):
                await anyio.sleep(0.02)
        child = int(outputs(k, pid)[0])
        k.signal(pid, "KILL")
        proc = await k.wait(pid, timeout=10)
        assert (proc.exit_reason, proc.exit_status) == ("killed", 137)
        await anyio.sleep(0.2)
        stat = Path(f"/proc/{child}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


async def test_a_missing_command_or_app_is_a_clear_error(kernel_factory):
    from syscalls.errors import NotFound
    async with api_kernel(kernel_factory) as k:
        pid = await spawn(k, Program(argv=["/no/such/program"]))
        proc = await k.wait(pid, timeout=10)
        assert proc.exit_reason == "error" and "cannot run '/no/such/program'" in proc.error
        with pytest.raises(NotFound):
            await spawn(k, Program(argv=["true"]), app="no-such-app")


async def test_an_app_manifest_gives_its_permissions_and_budgets(kernel_factory, make_app):
    folder = make_app("agentx", syscalls=["llm.chat"], budgets="tokens = 500", code="async def run(s, t):\n    pass\n")
    async with api_kernel(kernel_factory) as k:
        pid = await spawn(k, Program(argv=["true"]), manifest=str(folder / "app.toml"), budgets={"steps": 3})
        proc = k.ptable.get(pid)
        assert proc.app == "agentx" and proc.permissions.syscalls == ["llm.chat"]
        assert (proc.budgets.tokens, proc.budgets.steps) == (500, 3)
        await k.wait(pid, timeout=10)
