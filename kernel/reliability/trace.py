"""Boot step "traces": the event log as OpenTelemetry spans (GenAI conventions), exported by OTLP or to a file.

A process is an ``invoke_agent`` span, each LLM request a ``chat`` span inside it, each syscall an
``execute_tool`` span inside it.  Off by default: with no exporter configured nothing subscribes
to the event log, so tracing costs nothing."""
from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from kernel.kernel import Kernel

EXPORTERS = ("", "off", "otlp", "jsonl")
_TOOL_NAME = re.compile(r'"name":"([^"]{1,256})"')


def _ns(ts: float) -> int:
    return int(ts * 1e9)


class Tracer:
    """Subscribes to an ``EventLog`` and turns its events into spans on ``exporter``."""

    def __init__(self, events: Any, exporter: Any, *, batch: bool = False, service: str = "llmos"):
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            SimpleSpanProcessor,
        )
        self.provider = TracerProvider(resource=Resource.create({"service.name": service}))
        self.provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("llmos.kernel")
        self.procs: dict[int, Any] = {}  # pid -> its invoke_agent span
        self.chats: dict[int, Any] = {}  # pid -> its chat span in flight
        self.models: dict[int, str] = {}
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "proc.spawn": self._proc_spawn, "proc.exit": self._proc_exit, "llm.request": self._llm_request,
            "llm.response": self._llm_response, "syscall": self._syscall}
        self._unsubscribe = events.subscribe(self.on_event)

    def on_event(self, ev: dict[str, Any]) -> None:
        handler = self._handlers.get(ev.get("kind", ""))
        if handler is not None:
            handler(ev)

    def _context(self, pid: int) -> Any:
        from opentelemetry import trace
        span = self.procs.get(pid)
        return trace.set_span_in_context(span) if span is not None else None

    def _proc_spawn(self, ev: dict[str, Any]) -> None:
        from opentelemetry.trace import SpanKind
        pid, app = ev["pid"], ev.get("app", "")
        self.procs[pid] = self.tracer.start_span(
            f"invoke_agent {app}", context=self._context(ev.get("ppid", 0)), kind=SpanKind.INTERNAL,
            start_time=_ns(ev["ts"]),
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": app,
                        "gen_ai.agent.id": str(pid), "llmos.pid": pid, "llmos.ppid": ev.get("ppid", 0),
                        "llmos.task": ev.get("task", "")})

    def _proc_exit(self, ev: dict[str, Any]) -> None:
        from opentelemetry.trace import Status, StatusCode
        pid = ev["pid"]
        self._end_chat(pid, ev["ts"], error="process ended")
        span = self.procs.pop(pid, None)
        self.models.pop(pid, None)
        if span is None:
            return
        reason = ev.get("reason", "")
        span.set_attributes({"llmos.exit_reason": reason, "llmos.exit_status": ev.get("status", 0),
                             "llmos.tokens": ev.get("tokens", 0), "llmos.syscalls": ev.get("syscalls", 0)})
        if reason != "exited":
            span.set_attribute("error.type", reason)
            span.set_status(Status(StatusCode.ERROR, ev.get("error", "") or reason))
        span.end(end_time=_ns(ev["ts"]))

    def _llm_request(self, ev: dict[str, Any]) -> None:
        from opentelemetry.trace import SpanKind
        pid = ev["pid"]
        model = ev.get("gen_ai.request.model", "")
        self.models[pid] = model
        self._end_chat(pid, ev["ts"], error="superseded")
        self.chats[pid] = self.tracer.start_span(
            f"chat {model}", context=self._context(pid), kind=SpanKind.CLIENT, start_time=_ns(ev["ts"]),
            attributes={"gen_ai.operation.name": "chat", "gen_ai.request.model": model,
                        "gen_ai.provider.name": "llmos",
                        "gen_ai.usage.input_tokens": ev.get("gen_ai.usage.input_tokens", 0),
                        "gen_ai.request.max_tokens": ev.get("gen_ai.request.max_tokens", 0)})

    def _llm_response(self, ev: dict[str, Any]) -> None:
        span = self.chats.pop(ev["pid"], None)
        if span is None:
            return
        span.set_attributes({k: v for k, v in ev.items() if k.startswith("gen_ai.") and v is not None})
        span.set_attribute("gen_ai.response.model", self.models.get(ev["pid"], ""))
        span.end(end_time=_ns(ev["ts"]))

    def _end_chat(self, pid: int, ts: float, error: str) -> None:
        from opentelemetry.trace import Status, StatusCode
        span = self.chats.pop(pid, None)
        if span is not None:  # the request never got its response (killed, budget, model error)
            span.set_attribute("error.type", "incomplete")
            span.set_status(Status(StatusCode.ERROR, error))
            span.end(end_time=_ns(ts))

    def _syscall(self, ev: dict[str, Any]) -> None:
        from opentelemetry.trace import SpanKind, Status, StatusCode
        pid, call = ev["pid"], ev.get("call", "?")
        tool = call
        if call == "tool.call":
            m = _TOOL_NAME.search(ev.get("args", ""))
            tool = m.group(1) if m else call
        end = ev["ts"]
        start = end - float(ev.get("ms", 0.0)) / 1000
        span = self.tracer.start_span(
            f"execute_tool {tool}", context=self._context(pid), kind=SpanKind.INTERNAL, start_time=_ns(start),
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
                        "gen_ai.tool.type": "function" if call == "tool.call" else "syscall",
                        "llmos.syscall": call, "llmos.pid": pid})
        if ev.get("args"):
            span.set_attribute("gen_ai.tool.call.arguments", ev["args"])
        if not ev.get("ok", False):
            span.set_attribute("error.type", ev.get("error", "error"))
            span.set_status(Status(StatusCode.ERROR, ev.get("message", "")))
        span.end(end_time=_ns(end))

    def close(self) -> None:
        """End what is still open (the kernel is shutting down) and flush the exporter."""
        self._unsubscribe()
        import time
        now = time.time()
        for pid in list(self.chats):
            self._end_chat(pid, now, error="kernel shutdown")
        for span in self.procs.values():
            span.end(end_time=_ns(now))
        self.procs.clear()
        self.provider.shutdown()


class JsonLinesExporter:
    """A span exporter that appends one JSON object per finished span to a file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - open for the exporter's life

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult
        try:
            for s in spans:
                self._file.write(json.dumps(json.loads(s.to_json(indent=None)), separators=(",", ":")) + "\n")
            self._file.flush()
        except (OSError, ValueError):
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def exporter_of(k: Kernel) -> tuple[Any, bool] | None:
    """(exporter, batch) for the kernel's telemetry settings, or None when traces are off."""
    kind = (k.config.telemetry_exporter or "").strip().lower()
    if kind in ("", "off", "none"):
        return None
    if kind == "jsonl":
        f = Path(k.config.telemetry_file or "logs/traces.jsonl").expanduser()
        return JsonLinesExporter(f if f.is_absolute() else k.home / f), True
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter,
        )
        endpoint = k.config.telemetry_endpoint or "http://127.0.0.1:4317"
        return OTLPSpanExporter(endpoint=endpoint, insecure=endpoint.startswith("http://"), timeout=5), True
    raise ValueError(f"telemetry exporter {kind!r} is not one of: off, otlp, jsonl")


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    made = exporter_of(k)
    if made is None:
        return  # off: no subscriber, no cost
    exporter, batch = made
    tracer = Tracer(k.events, exporter, batch=batch)

    async def close() -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(tracer.close)
    stack.push_async_callback(close)
