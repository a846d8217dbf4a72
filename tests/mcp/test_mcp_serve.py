"""An outside MCP client (the ``mcp`` package's) drives ``llmos mcp serve`` against a real kernel daemon."""
from __future__ import annotations

import sys

import pytest
from mcp import Client, StdioServerParameters

from tests.daemon.harness import ROOT, Home

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def booted():
    home = Home()  # scripted model: "you said: {task}", and a slow reply for tasks with "slow"
    try:
        r = home.llmos("boot")
        assert r.returncode == 0, r.stderr
        yield home
    finally:
        home.teardown()


def serve(home: Home, *extra: str) -> Client:
    params = StdioServerParameters(command=sys.executable, args=["-m", "llmos", "mcp", "serve", *extra],
                                   env={k: home.env[k] for k in ("LLMOS_HOME", "PYTHONPATH")}, cwd=str(ROOT))
    return Client(params, read_timeout_seconds=60)


async def test_outside_mcp_client_runs_an_app(booted):
    async with serve(booted, "--app", "assistant") as c:
        names = {t.name for t in (await c.list_tools()).tools}
        assert {"run_app", "ps", "kill", "mem_search"} <= names
        done = await c.call_tool("run_app", {"app": "assistant", "task": "hello from a host"})
        assert not done.is_error, done.content
        out = done.structured_content
        assert out["exit_reason"] == "exited" and out["result"] == "you said: hello from a host"
        rows = (await c.call_tool("ps", {"all": True})).structured_content["result"]
        assert any(r["pid"] == out["pid"] and r["app"] == "assistant" for r in rows)
        # a long one, started without waiting, then killed: the host may signal its own processes
        slow = (await c.call_tool("run_app", {"app": "assistant", "task": "slow", "wait": False})).structured_content
        killed = await c.call_tool("kill", {"pid": slow["pid"], "signal": "KILL"})
        assert not killed.is_error and "KILL" in killed.content[0].text
        # ... but not others', and only the apps it was allowed
        other = await c.call_tool("kill", {"pid": 99999})
        assert other.is_error and "not started through this MCP session" in other.content[0].text
        denied = await c.call_tool("run_app", {"app": "coder", "task": "x"})
        assert denied.is_error and "may not run app" in denied.content[0].text
        stored = booted.llmos("mem", "store", "I prefer aisle seats on long flights", "--kind", "preference")
        assert stored.returncode == 0, stored.stderr
        found = await c.call_tool("mem_search", {"query": "which seat do I like?"})
        assert not found.is_error, found.content
        assert "aisle seats" in found.structured_content["result"][0]["text"]
    info = booted.llmos("wait", str(slow["pid"]))
    assert "killed" in (info.stdout + info.stderr)


async def test_serve_without_a_kernel_says_so():
    home = Home()
    try:
        async with serve(home) as c:
            r = await c.call_tool("ps", {})
            assert r.is_error and "llmos boot" in r.content[0].text
    finally:
        home.teardown()
