"""One streamed chat completion of an OpenAIEngine: slot wait, SSE reading, cancel, result."""
from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
import anyio.lowlevel
import httpx

from .base import EngineError, FinishReason, Generation, GenRequest, GenResult, Token
from .openai_wire import http_error, sse_events, transport_error

if TYPE_CHECKING:
    from .openai import OpenAIEngine

_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length", "tool_calls": "stop", "function_call": "stop",
           "content_filter": "stop"}


def current_loop_id() -> object:
    try:
        return anyio.lowlevel.current_token()
    except RuntimeError:
        return None


class OpenAIGeneration(Generation):
    """Streams one chat completion; ``cancel`` interrupts the read and closes the HTTP stream."""

    def __init__(self, engine: OpenAIEngine, req: GenRequest):
        self._eng, self._req = engine, req
        self._reason: FinishReason | None = None
        self._scope: anyio.CancelScope | None = None
        self._result: GenResult | None = None

    def cancel(self, reason: FinishReason = "cancelled") -> None:
        if self._reason is None and self._result is None:
            self._reason = reason
            if self._scope is not None:
                self._scope.cancel()

    async def __aiter__(self) -> AsyncGenerator[Token, None]:
        eng, req = self._eng, self._req
        t0 = time.perf_counter()
        tokens, text = list(req.generated), []
        r = GenResult(text="", prompt=[], tokens=tokens, finish_reason="stop")
        error: EngineError | None = None
        acquired = False
        eng._waiting += 1
        try:
            with anyio.CancelScope() as self._scope:  # cancel() may end the wait for a slot too
                if self._reason is None:
                    await eng._slots.acquire()
                    acquired = True
        finally:
            eng._waiting -= 1
        try:
            if acquired:
                eng._busy += 1
                eng._stats.max_batch_seqs = max(eng._stats.max_batch_seqs, eng._busy)
                if eng._busy > 1:
                    eng._stats.multi_seq_steps += 1
                async for tok in self._stream(r, t0):
                    tokens.append(tok.id)
                    text.append(tok.text)
                    yield tok
        except EngineError as exc:
            error = exc
        finally:
            if acquired:
                eng._busy -= 1
                eng._slots.release()
            if self._reason is not None and error is None:
                r.finish_reason = self._reason
                eng._stats.cancelled += 1
            r.text = "".join(text)
            r.duration_s = time.perf_counter() - t0
            if error is not None:
                eng._stats.errors += 1
                r.finish_reason, r.error, r.text = "error", str(error), ""
            self._result = r
        if error is not None:
            raise error

    async def _stream(self, r: GenResult, t0: float) -> AsyncIterator[Token]:
        eng, req = self._eng, self._req
        body = eng._body(req)
        try:
            for attempt in (1, 2):
                async with eng._client().stream("POST", "/chat/completions", json=body) as resp:
                    if (resp.status_code >= 400 and attempt == 1
                            and eng._may_fall_back(body, resp.status_code, await resp.aread())):
                        body = eng._body(req)  # the server rejected json_schema: use the json_object form
                        continue
                    async for tok in self._events(resp, r, t0):
                        yield tok
                break
        except httpx.HTTPError as exc:
            raise transport_error(exc, eng.address, eng.timeout) from exc
        if not r.prompt_tokens:  # the server sent no usage: estimate
            r.prompt_tokens = sum(eng.count_tokens(m["content"] or "") + 4 for m in body["messages"])

    async def _events(self, resp: httpx.Response, r: GenResult, t0: float) -> AsyncIterator[Token]:
        if resp.status_code >= 400:
            raise http_error(resp.status_code, (await resp.aread()).decode("utf-8", "replace"), self._eng.address)
        events = sse_events(resp.aiter_lines())
        while True:
            with anyio.CancelScope() as self._scope:
                event = None if self._reason else await anext(events, None)
            if event is None or self._reason is not None:
                break
            for tok in self._tokens(event, r, t0):
                yield tok

    def _tokens(self, event: dict[str, Any], r: GenResult, t0: float) -> list[Token]:
        eng = self._eng
        usage = event.get("usage")
        if usage:
            r.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            details = usage.get("prompt_tokens_details") or {}
            r.cached_tokens = int(details.get("cached_tokens") or 0)
            eng._stats.tokens_prefilled += max(r.prompt_tokens - r.cached_tokens, 0)
            eng._stats.tokens_cached += r.cached_tokens
        out = []
        for choice in event.get("choices") or []:
            delta = choice.get("delta") or {}
            piece = delta.get("content") or ""
            if piece:
                if not r.ttft_s:
                    r.ttft_s = time.perf_counter() - t0
                out.append(Token(eng._vocab.id(piece), piece))
                eng._stats.tokens_generated += 1
                eng._stats.decode_steps += 1
            if choice.get("finish_reason"):
                r.finish_reason = _FINISH.get(choice["finish_reason"], "stop")
        return out
