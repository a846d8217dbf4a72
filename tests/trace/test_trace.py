"""Traces: processes, LLM requests and syscalls as OpenTelemetry spans with the GenAI attribute names."""
from __future__ import annotations

import json
from concurrent import futures

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from drivers.llm import ScriptedEngine
from kernel.reliability.trace import Tracer

pytestmark = pytest.mark.anyio

WORKER = """
from syscalls.errors import SyscallError

async def run(sys, task):
    await sys.llm.chat([{"role": "user", "content": task}], max_tokens=8)
    r = await sys.tool.call("calculator", {"expression": "6 * 7"})
    try:
        await sys.tool.call("clock", {})  # not granted: a failed syscall
    except SyscallError:
        pass
    if task == "parent":
        await sys.proc.wait(await sys.proc.spawn("worker", "child"))
    return r.output
"""


@pytest.fixture
def anyio_backend():
    return "asyncio"


def spans_by_name(exporter) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in exporter.get_finished_spans():
        out.setdefault(s.name, []).append(s)
    return out


async def test_spans_carry_genai_names_attributes_and_parents(kernel_factory, make_app):
    make_app("worker", code=WORKER, syscalls=["llm.*", "tool.*", "proc.*"], tools=["calculator"])
    exporter = InMemorySpanExporter()
    async with kernel_factory(ScriptedEngine(default="fine thanks")) as k:
        tracer = Tracer(k.events, exporter)
        p = await k.wait(await k.spawn("worker", "parent"), 30)
        assert p.exit_reason == "exited", p.error
        tracer.close()
    by = spans_by_name(exporter)
    agents = by["invoke_agent worker"]
    assert len(agents) == 2
    parent = next(s for s in agents if s.attributes["llmos.task"] == "parent")
    child = next(s for s in agents if s.attributes["llmos.task"] == "child")
    assert child.parent.span_id == parent.context.span_id  # a child process nests in its parent's span
    assert parent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert parent.attributes["gen_ai.agent.name"] == "worker" and parent.attributes["gen_ai.agent.id"] == str(p.pid)
    assert parent.attributes["llmos.exit_reason"] == "exited"

    chats = by["chat scripted"]
    assert len(chats) == 2
    chat = next(s for s in chats if s.parent.span_id == parent.context.span_id)
    a = chat.attributes
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.request.model"] == "scripted"
    assert a["gen_ai.usage.input_tokens"] > 0 and a["gen_ai.usage.output_tokens"] > 0
    assert a["gen_ai.request.max_tokens"] == 8 and list(a["gen_ai.response.finish_reasons"])

    calc = next(s for s in by["execute_tool calculator"] if s.parent.span_id == parent.context.span_id)
    assert calc.attributes["gen_ai.operation.name"] == "execute_tool"
    assert calc.attributes["gen_ai.tool.name"] == "calculator" and calc.attributes["llmos.syscall"] == "tool.call"
    assert '"6 * 7"' in calc.attributes["gen_ai.tool.call.arguments"]
    assert calc.end_time >= calc.start_time and calc.status.status_code != StatusCode.ERROR
    denied = next(s for s in by["execute_tool tool.call"] if s.parent.span_id == parent.context.span_id)
    assert denied.status.status_code == StatusCode.ERROR and denied.attributes["error.type"] == "permission"
    assert "execute_tool llm.chat" in by and "execute_tool proc.spawn" in by
    assert {s.context.trace_id for s in exporter.get_finished_spans()} == {parent.context.trace_id}


async def test_off_by_default_adds_no_subscriber(kernel_factory):
    async with kernel_factory(subsystems=["traces"]) as k:
        assert not any(isinstance(getattr(fn, "__self__", None), Tracer) for fn in k.events._subscribers)
    async with kernel_factory(subsystems=["traces"], telemetry_exporter="jsonl") as k:  # the check can fail
        assert any(isinstance(getattr(fn, "__self__", None), Tracer) for fn in k.events._subscribers)


async def test_jsonl_file_from_the_boot_step(kernel_factory, make_app, tmp_path):
    make_app("worker", code=WORKER, syscalls=["llm.*", "tool.*", "proc.*"], tools=["calculator"])
    out = tmp_path / "traces.jsonl"
    async with kernel_factory(subsystems=["traces"], telemetry_exporter="jsonl", telemetry_file=str(out)) as k:
        await k.wait(await k.spawn("worker", "alone"), 30)
    spans = [json.loads(line) for line in out.read_text().splitlines()]
    names = {s["name"] for s in spans}
    assert {"invoke_agent worker", "chat scripted", "execute_tool calculator"} <= names
    agent = next(s for s in spans if s["name"] == "invoke_agent worker")
    assert agent["attributes"]["gen_ai.agent.name"] == "worker"
    assert agent["resource"]["attributes"]["service.name"] == "llmos"


async def test_otlp_reaches_a_collector(kernel_factory, make_app):
    grpc = pytest.importorskip("grpc")
    from opentelemetry.proto.collector.trace.v1 import (
        trace_service_pb2,
        trace_service_pb2_grpc,
    )

    got: list = []

    class Collector(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            got.append(request)
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Collector(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        make_app("worker", code=WORKER, syscalls=["llm.*", "tool.*", "proc.*"], tools=["calculator"])
        async with kernel_factory(subsystems=["traces"], telemetry_exporter="otlp",
                                  telemetry_endpoint=f"http://127.0.0.1:{port}") as k:
            await k.wait(await k.spawn("worker", "alone"), 30)
    finally:
        server.stop(0)
    names = {s.name for req in got for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans}
    assert {"invoke_agent worker", "chat scripted", "execute_tool calculator"} <= names
