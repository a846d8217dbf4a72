"""MCP servers as tool drivers, against a real MCP server over stdio: list, call, errors, crash, timeout, grants."""
from __future__ import annotations

import json
import os
import time

import pytest

from tests.daemon.harness import alive, wait_dead

pytestmark = pytest.mark.anyio

# An app that runs the calls its task names, one JSON list of [tool, args] pairs, and reports each outcome.
CALLER = """
import json
from syscalls.errors import SyscallError

async def run(sys, task):
    out = {"listed": sorted(t.name for t in await sys.tool.list()), "calls": []}
    for name, args in json.loads(task):
        try:
            r = await sys.tool.call(name, args)
            out["calls"].append({"output": r.output, "data": r.data, "is_error": r.is_error,
                                 "untrusted": r.untrusted})
        except SyscallError as exc:
            out["calls"].append({"error": exc.code, "message": exc.message, "retryable": exc.retryable})
    return out
"""


async def run_calls(k, app: str, calls: list) -> dict:
    import json
    p = await k.wait(await k.spawn(app, json.dumps(calls)), 60)
    assert p.exit_reason == "exited", p.error
    return json.loads(p.result)


def kinds(k) -> list[str]:
    return [e["kind"] for e in k.events.recent]


async def test_list_call_structured_and_tool_error(mcp_kernel, make_app):
    make_app("caller", code=CALLER, syscalls=["tool.*"], tools=["demo.*", "calculator"])
    async with mcp_kernel() as k:
        assert "mcp.start" not in kinds(k)  # nothing starts at boot
        out = await run_calls(k, "caller", [
            ["demo.add", {"a": 2, "b": 40}],
            ["demo.lookup", {"city": "Paris"}],
            ["demo.fail", {"reason": "no disk"}],
            ["demo.add", {"a": "two", "b": 1}],
            ["demo.nope", {}],
            ["demo.whoami", {}],
        ])
        assert kinds(k).count("mcp.start") == 1
        schema = k.tools["demo.add"].schema
    assert {"demo.add", "demo.lookup", "demo.fail", "demo.slow", "demo.crash", "demo.whoami",
            "calculator"} <= set(out["listed"])
    assert schema["properties"]["a"]["type"] == "integer" and schema["required"] == ["a", "b"]
    add, lookup, fail, bad, nope, who = out["calls"]
    assert add == {"output": "42", "data": {"result": 42}, "is_error": False, "untrusted": True}
    assert lookup["data"] == {"city": "Paris", "country": "France", "population": 2_100_000}
    assert fail["is_error"] and "cannot do that: no disk" in fail["output"]
    assert bad["is_error"] and "a" in bad["output"]  # the server's own argument validation
    assert nope["error"] == "not_found"
    assert who["data"]["greeting"] == "hello"  # env from the configuration reached the server
    assert not alive(who["data"]["pid"]) or wait_dead(who["data"]["pid"], 15)  # stopped with the kernel


async def test_crash_restarts_with_backoff(mcp_kernel, make_app):
    make_app("caller", code=CALLER, syscalls=["tool.*"], tools=["demo.*"])
    async with mcp_kernel(backoff=0.3) as k:
        out = await run_calls(k, "caller", [["demo.whoami", {}], ["demo.crash", {}], ["demo.crash", {}]])
        again = await run_calls(k, "caller", [["demo.whoami", {}], ["demo.add", {"a": 1, "b": 1}]])
        crashes = [e for e in k.events.recent if e["kind"] == "mcp.crash"]
        restarts = [e for e in k.events.recent if e["kind"] == "mcp.restart"]
        starts = [e for e in k.events.recent if e["kind"] == "mcp.start"]
    first, crash, crash2 = out["calls"]
    assert crash["error"] == "unavailable" and crash["retryable"] and "went away" in crash["message"]
    assert crash2["error"] == "unavailable"  # the second call waited for the restart, then crashed it again
    assert again["calls"][0]["data"]["pid"] != first["data"]["pid"]
    assert again["calls"][1]["output"] == "2"
    assert [e["crashes"] for e in crashes] == [1, 2]
    assert [e["delay"] for e in restarts] == [0.3, 0.6]  # the backoff doubles with each crash in a row
    assert len(starts) == 3 and starts[1]["ts"] - crashes[0]["ts"] >= 0.3
    log = (k.home / "logs" / "mcp-demo.log").read_text()
    assert "crashing on purpose" in log  # the server's stderr went to its own log


async def test_timeout_gives_a_clear_error(mcp_kernel, make_app):
    make_app("caller", code=CALLER, syscalls=["tool.*"], tools=["demo.*"])
    async with mcp_kernel(timeout=1.0) as k:
        t0 = time.monotonic()
        out = await run_calls(k, "caller", [["demo.slow", {"seconds": 30}], ["demo.add", {"a": 3, "b": 4}]])
        took = time.monotonic() - t0
    slow, add = out["calls"]
    assert slow["error"] == "timeout" and "within 1 s" in slow["message"], slow
    assert add["output"] == "7"  # the server still answers other calls
    assert took < 25


async def test_denied_tool_and_ungranted_server_never_starts(mcp_kernel, make_app):
    make_app("narrow", code=CALLER, syscalls=["tool.*"], tools=["demo.add"])
    make_app("plain", code=CALLER, syscalls=["tool.*"], tools=["calculator"])
    async with mcp_kernel() as k:
        plain = await run_calls(k, "plain", [["demo.add", {"a": 1, "b": 2}]])
        assert "mcp.start" not in kinds(k)  # an app not granted the server does not start it
        narrow = await run_calls(k, "narrow", [["demo.add", {"a": 1, "b": 2}], ["demo.crash", {}]])
        rows = [e for e in k.events.recent if e["kind"] == "syscall" and e.get("call") == "tool.call"]
    assert plain["listed"] == ["calculator"]
    assert plain["calls"][0]["error"] == "permission"
    assert narrow["listed"] == ["demo.add"]
    assert narrow["calls"][0]["output"] == "3"
    assert narrow["calls"][1]["error"] == "permission" and "demo.crash" in narrow["calls"][1]["message"]
    assert any('"name":"demo.crash"' in e.get("message", "") or e.get("error") == "permission" for e in rows)


async def test_server_that_cannot_start(mcp_kernel, make_app, tmp_path):
    make_app("caller", code=CALLER, syscalls=["tool.*"], tools=["*"])
    servers = {"ghost": {"command": str(tmp_path / "no-such-server"), "backoff": 0.05, "max_restarts": 1}}
    async with mcp_kernel(servers) as k:
        out = await run_calls(k, "caller", [["ghost.anything", {}]])
        assert "calculator" in out["listed"]  # tool.list still works, the broken server left out
        assert any(e["kind"] == "mcp.error" and e.get("server") == "ghost" for e in k.events.recent)
    err = out["calls"][0]
    assert err["error"] == "unavailable" and "could not start" in err["message"], err


def test_server_spec_errors_name_the_key():
    from drivers.tools.mcp import SpecError, spec_of
    with pytest.raises(SpecError, match="'timeout'"):
        spec_of("x", {"command": "srv", "timeout": "soon"})
    with pytest.raises(SpecError, match="exactly one of"):
        spec_of("x", {"command": "srv", "url": "http://127.0.0.1:1/mcp"})
    with pytest.raises(SpecError, match="unknown field|comand"):
        spec_of("x", {"comand": "srv"})
    assert spec_of("files", {"command": "srv", "args": ["-v"]}).transport == "stdio"
    assert os.path  # keep the import honest


async def test_streamable_http_server(mcp_kernel, make_app):
    import socket
    import subprocess
    import sys

    import anyio

    from .conftest import SERVER
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)], stderr=subprocess.DEVNULL,  # noqa: ASYNC220
                           stdout=subprocess.DEVNULL)
    try:
        with anyio.fail_after(30):
            while True:
                try:
                    await (await anyio.connect_tcp("127.0.0.1", port)).aclose()
                    break
                except OSError:
                    await anyio.sleep(0.1)
        make_app("caller", code=CALLER, syscalls=["tool.*"], tools=["web.*"])
        async with mcp_kernel({"web": {"url": f"http://127.0.0.1:{port}/mcp", "timeout": 5}}) as k:
            out = await run_calls(k, "caller", [["web.add", {"a": 20, "b": 22}], ["web.whoami", {}]])
    finally:
        srv.kill()
        srv.wait()
    assert "web.lookup" in out["listed"]
    assert out["calls"][0]["output"] == "42" and out["calls"][1]["data"]["pid"] == srv.pid


async def test_server_that_never_answers_the_handshake(mcp_kernel, make_app):
    import sys
    make_app("caller", code=CALLER.replace("sorted(t.name for t in await sys.tool.list())", "[]"),
             syscalls=["tool.*"], tools=["mute.*"])  # calls only: one start attempt
    mute = {"command": sys.executable, "args": ["-c", "import time; time.sleep(60)"], "start_timeout": 1.0,
            "max_restarts": 0}
    async with mcp_kernel({"mute": mute}) as k:
        t0 = time.monotonic()
        out = await run_calls(k, "caller", [["mute.anything", {}]])
        took = time.monotonic() - t0
    err = out["calls"][0]
    assert err["error"] == "unavailable" and "no answer to the MCP handshake within 1 s" in err["message"], err
    assert took < 15


AGENT_TOML = """
[agent]
system_prompt = "You measure distances with demo.distance."
tools = ["demo.distance"]
max_steps = 3
"""


async def test_agent_calls_a_tool_whose_arguments_use_refs(kernel_factory, make_app):
    """demo.distance's schema refers to Point under $defs: the agent's action schema inlines it, converts
    to a grammar, and the call it decodes reaches the server."""
    from drivers.llm import ScriptedEngine
    from drivers.llm.llama_sampling import grammar_for

    from .conftest import demo_config
    make_app("measure", syscalls=["llm.json", "tool.*"], tools=["demo.distance"], toml_extra=AGENT_TOML)
    engine = ScriptedEngine(['{"tool": "demo.distance", "a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4}}',
                             '{"tool": "answer", "answer": "5"}'])
    async with kernel_factory(engine, subsystems=["mcp"], mcp_servers={"demo": demo_config()}) as k:
        p = await k.wait(await k.spawn("measure", "How far is (3, 4) from the origin?"), 60)
        assert p.exit_reason == "exited", p.error
        published = k.tools["demo.distance"].schema
        calls = [e for e in k.events.for_pid(p.pid) if e["kind"] == "syscall" and e["call"] == "tool.call"]
    assert "$ref" in json.dumps(published)  # the server's own schema does use a ref
    assert p.exit_reason == "exited" and p.result == "5", p.error
    assert len(calls) == 1 and calls[0]["ok"], calls
    schema = engine.requests[0].json_schema
    assert "$ref" not in json.dumps(schema) and grammar_for(engine.requests[0])
    assert schema["properties"]["a"]["properties"]["x"]["type"] == "number"
    assert "5.0" in engine.detokenize(engine.requests[1].prompt)  # the server's answer came back as the observation
