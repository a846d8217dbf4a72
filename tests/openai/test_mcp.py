"""The MCP endpoint: the process's key opens its granted tools, each call a tool.call syscall under the rules."""
from __future__ import annotations

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from apps.manifest import Manifest, Permissions
from kernel.proc.execprog import Program

from .conftest import SLEEPER, api_kernel, external

pytestmark = pytest.mark.anyio
TOOLAPP = Manifest(name="toolapp", entry="x:y", permissions=Permissions(syscalls=["tool.*"], tools=["calculator"]))


async def session_run(k, key: str, fn):
    url = k.api_url.removesuffix("/v1") + "/mcp"
    async with httpx.AsyncClient(headers={"authorization": f"Bearer {key}"}) as hc:
        async with streamable_http_client(url, http_client=hc) as (r, w, *_):
            async with ClientSession(r, w) as s:
                await s.initialize()
                return await fn(s)


async def test_granted_tools_are_offered_and_each_call_is_a_syscall(kernel_factory):
    async with api_kernel(kernel_factory) as k:
        pid = await k.spawn("toolapp", "t", manifest=TOOLAPP, program=Program(argv=SLEEPER))
        key = k.api_calls.issue(pid)

        async def go(s):
            names = [t.name for t in (await s.list_tools()).tools]
            ok = await s.call_tool("calculator", {"expression": "2+3*4"})
            refused = await s.call_tool("clock", {})
            return names, ok, refused
        names, ok, refused = await session_run(k, key, go)
        assert names == ["calculator"]  # clock exists in the kernel but is not granted
        assert ok.content[0].text == "14" and not ok.is_error
        assert refused.is_error and "clock" in refused.content[0].text
        calls = [(e["call"], e["ok"]) for e in k.events.for_pid(pid) if e["kind"] == "syscall"]
        assert calls == [("tool.list", True), ("tool.call", True), ("tool.call", False)]


async def test_the_default_manifest_offers_no_tools(kernel_factory):
    async with api_kernel(kernel_factory) as k:
        _, key = await external(k)

        async def go(s):
            return (await s.list_tools()).tools, await s.call_tool("calculator", {"expression": "1+1"})
        tools, refused = await session_run(k, key, go)
        assert tools == [] and refused.is_error and "not granted" in refused.content[0].text


async def test_a_denying_rule_refuses_the_call(kernel_factory, tmp_path):
    rules = tmp_path / "r.toml"
    rules.write_text('[[rule]]\neffect = "deny"\nmatch = ["tool.call"]\napp = ["toolapp"]\nreason = "no maths today"\n')
    async with api_kernel(kernel_factory, subsystems=("rules", "openai_api"), rules_files=[str(rules)]) as k:
        pid = await k.spawn("toolapp", "t", manifest=TOOLAPP, program=Program(argv=SLEEPER))
        key = k.api_calls.issue(pid)
        res = await session_run(k, key, lambda s: s.call_tool("calculator", {"expression": "1+1"}))
        assert res.is_error and "no maths today" in res.content[0].text


async def test_no_key_no_mcp(kernel_factory):
    async with api_kernel(kernel_factory) as k:
        url = k.api_url.removesuffix("/v1") + "/mcp"
        async with httpx.AsyncClient() as c:
            r = await c.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
            assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
            r = await c.post(url, json={}, headers={"authorization": "Bearer llmos-revoked"})
            assert r.status_code == 401

