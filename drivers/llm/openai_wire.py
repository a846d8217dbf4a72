"""Wire format of OpenAI-compatible servers: request bodies, SSE events, errors, and a local piece vocabulary."""
from __future__ import annotations

import errno
import json
import re
import socket
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from typing import Any

import httpx

from .base import EngineError, GenRequest, Message

_PIECE = re.compile(r"\s*\S+|\s+")
CHARS_PER_TOKEN = 4.0  # the usual rule of thumb for English BPE vocabularies


class PieceVocab:
    """Ids for text pieces (streamed deltas, or whitespace-led words), local to one engine.

    Remote servers speak text, but the engine interface speaks token ids: this keeps
    ``detokenize(tokenize(x)) == x`` and lets ``GenRequest.generated`` be replayed.  Engines that
    stand for one model (replicas) share one, so ids mean the same on each.
    """

    TEMPLATES = 256  # templated prompts remembered

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.pieces: list[str] = []
        self.templated: OrderedDict[tuple[int, ...], list[Message]] = OrderedDict()

    def remember(self, ids: list[int], messages: list[Message]) -> None:
        """``ids`` are a local rendering of ``messages``: a request built from them goes out as that chat."""
        self.templated[tuple(ids)] = list(messages)
        while len(self.templated) > self.TEMPLATES:
            self.templated.popitem(last=False)

    def messages_for(self, ids: list[int]) -> list[Message] | None:
        return self.templated.get(tuple(ids))

    def id(self, piece: str) -> int:
        got = self.ids.get(piece)
        if got is None:
            got = self.ids[piece] = len(self.pieces)
            self.pieces.append(piece)
        return got

    def encode(self, text: str) -> list[int]:
        return [self.id(p) for p in _PIECE.findall(text)]

    def decode(self, ids: Iterable[int]) -> str:
        n = len(self.pieces)
        return "".join(self.pieces[i] for i in ids if 0 <= i < n)


def approx_count(text: str) -> int:
    """Approximate token count: about four characters a token, at least one per word."""
    if not text:
        return 0
    return max(len(_PIECE.findall(text)), round(len(text) / CHARS_PER_TOKEN))


def response_format(schema: dict[str, Any], style: str) -> dict[str, Any]:
    """``json_schema``: OpenAI's structured-output form; ``json_object``: llama-cpp-python's form."""
    if style == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema, "strict": True}}


def chat_body(req: GenRequest, messages: list[Message], *, model: str, max_tokens: int, schema_style: str,
              extra: dict[str, Any], continuation: str = "") -> dict[str, Any]:
    s = req.sampling
    msgs = [{"role": m.role, "content": m.content} for m in messages]
    if continuation:  # resume a preempted answer: servers that support assistant prefill continue it
        msgs.append({"role": "assistant", "content": continuation})
    body: dict[str, Any] = {
        "model": model, "messages": msgs, "stream": True, "max_tokens": max_tokens,
        "temperature": s.temperature, "stream_options": {"include_usage": True},
    }
    if s.temperature > 0:
        body["top_p"] = s.top_p
        body["seed"] = s.seed
    if req.stop:
        body["stop"] = list(req.stop)[:4]
    if req.json_schema is not None:
        body["response_format"] = response_format(req.json_schema, schema_style)
    if req.grammar:
        body["grammar"] = req.grammar  # llama.cpp and llama-cpp-python servers; others ignore or reject it
    body.update(extra)
    return body


def http_error(status: int, text: str, address: str = "") -> EngineError:
    detail = text.strip()[:500]
    try:
        err = json.loads(text).get("error")
        detail = (err.get("message") if isinstance(err, dict) else str(err)) or detail
    except (ValueError, AttributeError):
        detail = detail or f"HTTP {status}"  # not a JSON error body: keep the raw text
    if status in (401, 403):
        code, retry = "denied", False
    elif status == 429:
        code, retry = "rate_limited", True
    elif status >= 500:
        code, retry = "unavailable", True
    else:
        code, retry = "invalid", False
    who = f"llm engine {address}" if address else "llm engine"
    return EngineError(f"{who} answered {status}: {' '.join(detail.split())}", code=code, retryable=retry)


_ERRNO = {errno.ECONNREFUSED: "connection refused", errno.ECONNRESET: "connection reset",
          errno.EHOSTUNREACH: "no route to host", errno.ENETUNREACH: "network unreachable",
          errno.ECONNABORTED: "connection aborted", errno.EPIPE: "connection closed"}


def why(exc: BaseException) -> str:
    """A few words for a transport failure: the OS error under httpx's wrapper when there is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return "name not resolved"
        if isinstance(seen, OSError) and seen.errno in _ERRNO:
            return _ERRNO[seen.errno]
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection closed mid-answer"
    if isinstance(exc, httpx.ReadError):
        return "connection reset"
    text = " ".join(str(exc).split())
    return text[:200] if text else type(exc).__name__


def transport_error(exc: httpx.HTTPError, address: str, timeout: httpx.Timeout | None = None) -> EngineError:
    """``llm engine ADDRESS unreachable: connection refused`` and the like: one line, naming the address."""
    if isinstance(exc, httpx.TimeoutException):
        if isinstance(exc, httpx.ConnectTimeout):
            limit, what = (timeout.connect if timeout else None), "no connection"
        else:
            limit, what = (timeout.read if timeout else None), "no answer"
        within = f" within {limit:g} s" if limit else ""
        return EngineError(f"llm engine {address} timed out: {what}{within}", code="timeout", retryable=True)
    return EngineError(f"llm engine {address} unreachable: {why(exc)}", code="unavailable", retryable=True)


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Decode ``data:`` events of a server-sent event stream into JSON objects, until ``[DONE]``."""
    data: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].lstrip())
            continue
        if line.strip() or not data:
            continue  # comments (":"), event names, ids; or a blank line with nothing pending
        payload, data = "\n".join(data), []
        if payload == "[DONE]":
            return
        yield _event(payload)
    if data and "\n".join(data) != "[DONE]":
        yield _event("\n".join(data))


def _event(payload: str) -> dict[str, Any]:
    try:
        event: dict[str, Any] = json.loads(payload)
    except ValueError as exc:
        raise EngineError(f"bad event from llm engine: {payload[:200]!r}", code="io", retryable=True) from exc
    if isinstance(event, dict) and event.get("error"):
        err = event["error"]
        msg = err.get("message", str(err)) if isinstance(err, dict) else str(err)
        raise EngineError(f"llm engine error: {msg}", code="unavailable", retryable=True)
    return event
