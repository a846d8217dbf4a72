"""``llmos exec --isolation container``: the program runs in a sandbox container with no network and still
reaches the model, only through the kernel's API (a loopback forwarder to the sandbox's kernel channel)."""
from __future__ import annotations

import textwrap

import pytest

from drivers.llm import ScriptedEngine
from kernel.proc.execprog import Program, spawn
from tests.sandbox.sandbox_support import docker_client

from .conftest import api_kernel

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

PROGRAM = textwrap.dedent("""
    import json, os, socket, urllib.request
    req = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
    print("model:", json.load(urllib.request.urlopen(req, timeout=20))["choices"][0]["message"]["content"])
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=2)
        print("network: yes")
    except OSError:
        print("network: no")
    raise SystemExit(5)
""")


@pytest.fixture(scope="module")
def docker():
    client = docker_client()  # skips (fails under CI) without an engine and the sandbox image
    yield client
    client.close()


async def test_a_contained_program_reaches_only_the_kernel(docker, kernel_factory, tmp_path):
    script = tmp_path / "agent.py"
    script.write_text(PROGRAM)
    async with api_kernel(kernel_factory, ScriptedEngine(default="contained hello"),
                          subsystems=("sandbox", "openai_api")) as k:
        pid = await spawn(k, Program(argv=["python3", "agent.py"], cwd=str(tmp_path), isolation="container"))
        proc = await k.wait(pid, timeout=120)
        out = [e["text"] for e in k.events.for_pid(pid) if e["kind"] == "proc.output"]
        assert out == ["model: contained hello", "network: no"], (proc.error, out)
        assert (proc.exit_reason, proc.exit_status) == ("exited", 5)
        assert proc.usage.tokens_out == 2 and len(k.api_calls.keys) == 0
