"""Server-sent events for streamed completions: the syscall runs in its own task, its text goes out as
``chat.completion.chunk`` events, and a failure (the process killed, a budget spent) as an error event."""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import anyio
import msgspec
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kernel.api.openai.chat import new_id, usage
from kernel.api.openai.errors import ApiError
from kernel.api.openai.toolcalls import Plan, outcome
from syscalls import llm

HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
           (b"x-accel-buffering", b"no")]  # no content-length: the body is chunked


def event(data: Any) -> bytes:
    return b"data: " + msgspec.json.encode(data) + b"\n\n"


class SSEResponse(Response):
    """Runs ``call(sink)`` (a coroutine function returning the syscall's reply) and streams what
    ``render`` makes of its text and result; ends the syscall if the client goes away."""

    def __init__(self, call: Callable[..., Any], render: "Renderer"):  # Response.__init__ would add a length
        self.status_code, self.background, self.raw_headers = 200, None, list(HEADERS)
        self.call, self.renderer = call, render  # not `render`: that is Response.render, a method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        items_in, items_out = anyio.create_memory_object_stream[tuple[str, Any]](max_buffer_size=math.inf)

        async def work() -> None:
            async with items_in:
                try:
                    reply = await self.call(lambda text: items_in.send_nowait(("text", text)))
                except ApiError as exc:
                    items_in.send_nowait(("error", exc))
                else:
                    items_in.send_nowait(("done", reply))

        async def hangup() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            tg.cancel_scope.cancel()  # the client is gone: end the syscall, free the slot

        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async with anyio.create_task_group() as tg:
            tg.start_soon(work)
            tg.start_soon(hangup)
            async with items_out:
                await send({"type": "http.response.body", "body": self.renderer.start(), "more_body": True})
                async for item in items_out:
                    body = self._body(*item)
                    while True:  # what queued meanwhile goes out in the same write: one wake-up, not one per token
                        try:
                            body += self._body(*items_out.receive_nowait())
                        except (anyio.WouldBlock, anyio.EndOfStream):
                            break
                    if body:
                        await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            tg.cancel_scope.cancel()

    def _body(self, kind: str, value: Any) -> bytes:
        if kind == "text":
            return self.renderer.text(value)
        return self.renderer.error(value) if kind == "error" else self.renderer.done(value)


class Renderer:
    """Chunks for one streamed chat (``chat=True``) or text completion."""

    def __init__(self, model: str, *, chat: bool, plan: Plan | None = None, include_usage: bool = False):
        self.model, self.chat, self.plan, self.include_usage = model, chat, plan, include_usage
        self.id = new_id("chatcmpl" if chat else "cmpl")
        self.created = int(time.time())
        self.sent = ""  # text streamed so far

    def _chunk(self, choice: dict[str, Any] | None, usage_: dict[str, Any] | None = None) -> bytes:
        obj: dict[str, Any] = {"id": self.id, "object": "chat.completion.chunk" if self.chat else "text_completion",
               "created": self.created, "model": self.model, "choices": [choice] if choice else []}
        if self.chat:
            obj["system_fingerprint"] = None
        if self.include_usage:
            obj["usage"] = usage_
        return event(obj)

    def _delta(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        if self.chat:
            return self._chunk({"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish})
        return self._chunk({"index": 0, "text": delta.get("content", ""), "logprobs": None, "finish_reason": finish})

    def start(self) -> bytes:
        return self._delta({"role": "assistant", "content": ""}) if self.chat else b""

    def text(self, piece: str) -> bytes:
        if not piece or (self.plan is not None and self.plan.calls):  # a tool-call reply is sent whole
            return b""
        self.sent += piece
        return self._delta({"content": piece})

    def done(self, reply: llm.Completion) -> bytes:
        out = b""
        if self.plan is not None and self.plan.calls:
            result = outcome(self.plan, reply.text, reply.finish_reason)
            if result.tool_calls:
                calls = [{"index": i, **c} for i, c in enumerate(result.tool_calls)]
                out += self._delta({"tool_calls": calls})
            elif result.content:
                out += self._delta({"content": result.content})
            finish = result.finish_reason
        else:
            rest = reply.text[len(self.sent):] if reply.text.startswith(self.sent) else ""
            if rest:
                out += self._delta({"content": rest})
            finish = "length" if reply.finish_reason == "length" else "stop"
        out += self._delta({}, finish)
        if self.include_usage:
            out += self._chunk(None, usage(reply))
        return out + b"data: [DONE]\n\n"

    def error(self, exc: ApiError) -> bytes:
        return event({"error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}})
