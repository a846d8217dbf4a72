"""Benchmark MCP tool calls against the built-in calculator, and syscalls with traces on against traces off."""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from apps import AppRegistry  # noqa: E402 - after the path set-up above
from drivers.llm import ScriptedEngine  # noqa: E402
from kernel import Kernel, KernelConfig  # noqa: E402

LOOP = '''
import json, time

async def run(sys, task):
    spec = json.loads(task)
    await sys.tool.call(spec["tool"], spec["args"])  # warm: the first MCP call starts the server
    times = []
    for _ in range(spec["n"]):
        t0 = time.perf_counter()
        await sys.tool.call(spec["tool"], spec["args"])
        times.append(time.perf_counter() - t0)
    return times
'''


async def _times(tmp: Path, tool: str, args: dict, n: int, **cfg) -> list[float]:
    apps = tmp / "apps" / "loop"
    apps.mkdir(parents=True, exist_ok=True)
    (apps / "app.toml").write_text('name = "loop"\nentry = "main:run"\n[permissions]\nsyscalls = ["tool.*"]\n'
                                   'tools = ["*"]\n')
    (apps / "main.py").write_text(LOOP)
    server = ROOT / "tests" / "mcp" / "demo_server.py"
    config = KernelConfig(home=str(tmp / "home"), mcp_servers={"demo": {"command": sys.executable,
                                                                        "args": [str(server)]}}, **cfg)
    async with Kernel(config, engine=ScriptedEngine(default="ok"), registry=AppRegistry(extra_dirs=[tmp / "apps"])) as k:
        p = await k.wait(await k.spawn("loop", json.dumps({"tool": tool, "args": args, "n": n})), 300)
        assert p.exit_reason == "exited", p.error
        return json.loads(p.result)


def _ms(xs: list[float], q: float) -> float:
    return round(statistics.quantiles(xs, n=100)[int(q) - 1] * 1000, 3) if len(xs) > 2 else round(xs[0] * 1000, 3)


async def _bench(n: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        calc = await _times(tmp / "a", "calculator", {"expression": "2 + 3"}, n, subsystems=["mcp"])
        mcp = await _times(tmp / "b", "demo.add", {"a": 2, "b": 3}, n, subsystems=["mcp"])
        traced = await _times(tmp / "c", "calculator", {"expression": "2 + 3"}, n, subsystems=["mcp", "traces"],
                              telemetry_exporter="jsonl")
    res = {"n": n,
           "calculator_p50_ms": _ms(calc, 50), "calculator_p95_ms": _ms(calc, 95),
           "mcp_stdio_p50_ms": _ms(mcp, 50), "mcp_stdio_p95_ms": _ms(mcp, 95),
           "calculator_traced_p50_ms": _ms(traced, 50)}
    res["mcp_over_builtin_p50"] = round(res["mcp_stdio_p50_ms"] / res["calculator_p50_ms"], 1)
    res["traces_on_over_off_p50"] = round(res["calculator_traced_p50_ms"] / res["calculator_p50_ms"], 2)
    return res


def bench_mcp(n: int = 200) -> dict:
    """Per-call latency of a tool call through the kernel: built-in, MCP over stdio, and with traces on."""
    return anyio.run(_bench, n)


if __name__ == "__main__":
    t0 = time.time()
    print(json.dumps(bench_mcp(), indent=2))
    print(f"({time.time() - t0:.1f} s)", file=sys.stderr)
