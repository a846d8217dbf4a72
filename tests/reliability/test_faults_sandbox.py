"""The Docker engine going away in the middle of an exec: a typed error for the process, and the
kernel keeps serving.  The sandbox reaches the real engine through a proxy the test cuts."""
import time
import uuid

import anyio
import pytest

from drivers.llm import ScriptedEngine
from drivers.tools import Tool
from drivers.tools.base import ToolOutput
from kernel import Kernel, KernelConfig
from kernel.errors import from_driver
from sandbox import Sandbox, SandboxError
from sandbox.engine import connect
from tests.conftest import require

from .sockproxy import SocketProxy

pytestmark = pytest.mark.anyio


def _docker():
    try:
        client = connect()
    except SandboxError:
        return None
    from sandbox import image_exists, image_tag
    return client if image_exists(client, image_tag()) else None


class PyExec(Tool):
    name, description = "pyexec", "run python in the sandbox"
    schema = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}

    def __init__(self, sb):
        self.sb = sb

    async def call(self, args, *, owner=""):
        r = await self.sb.exec(owner, "python", args["code"], timeout=60)
        return ToolOutput(output=r.stdout)


APP = """
from syscalls.errors import SyscallError
async def run(sys, task):
    try:
        return "ok:" + (await sys.tool.call("pyexec", {"code": task})).output
    except SyscallError as e:
        return f"{e.code}:{e.retryable}"
"""


async def test_docker_going_away_mid_exec(tmp_path, registry, make_app):
    client = _docker()
    require(client is not None, "a Docker engine with the sandbox image")
    kid = f"reltest-{uuid.uuid4().hex[:8]}"
    proxy = SocketProxy(str(tmp_path / "docker.sock"))
    sb = Sandbox(base_url=f"unix://{tmp_path / 'docker.sock'}", kernel_id=kid, pool_size=0)
    make_app("runner", code=APP, syscalls=["tool.*", "llm.*"], tools=["pyexec"])
    try:
        cfg = KernelConfig(home=str(tmp_path / "h"), subsystems=[])
        async with Kernel(cfg, engine=ScriptedEngine(default="still here"), registry=registry,
                          tools={"pyexec": PyExec(sb)}) as k:
            ok = await k.wait(await k.spawn("runner", "print(6 * 7)"), timeout=60)
            assert ok.result == "ok:42\n"
            pid = await k.spawn("runner", "import time; print('start', flush=True); time.sleep(30)")
            with anyio.fail_after(30):
                while not await sb.containers(str(pid)):
                    await anyio.sleep(0.05)
            await anyio.sleep(0.5)  # the program runs
            t0 = time.monotonic()
            proxy.kill()
            p = await k.wait(pid, timeout=30)
            assert time.monotonic() - t0 < 10
            assert p.result == "unavailable:True", p.result  # not the partial output as a success
            make_app("chat", code="async def run(sys, task):\n    return (await sys.llm.chat(task)).text\n")
            assert (await k.wait(await k.spawn("chat", "hi"), timeout=10)).result == "still here"
            with pytest.raises(SandboxError) as err:  # the engine stays gone: every call says so
                await sb.exec("x", "python", "print(1)")
            assert err.value.code == "unavailable" and err.value.retryable
            assert from_driver(err.value).code == "unavailable"
    finally:
        proxy.kill()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(lambda: [c.remove(force=True, v=True) for c in client.containers.list(
                all=True, filters={"label": f"llmos.kernel={kid}"})])
        client.close()
