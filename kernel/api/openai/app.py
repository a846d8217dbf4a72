"""The ASGI app: routes of the OpenAI API, each request authenticated to one process and run as its syscall."""
from __future__ import annotations

import base64
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.api.openai import chat
from kernel.api.openai.calls import Calls
from kernel.api.openai.errors import ApiError, bad_request
from kernel.api.openai.schemas import ChatRequest, CompletionRequest, EmbeddingRequest
from kernel.api.openai.sse import Renderer, SSEResponse
from kernel.api.openai.toolcalls import outcome, plan
from syscalls import llm

DIM = 384  # the offline embedder's vectors


def json_response(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


def error_response(exc: ApiError) -> Response:
    r = Response(exc.body(), status_code=exc.status, media_type="application/json")
    r.headers["x-should-retry"] = "true" if exc.retry else "false"
    return r


def _field(exc: msgspec.ValidationError) -> str | None:
    msg = str(exc)
    at = msg.rfind("- at `$")
    return msg[at + 7:].strip("`.") or None if at >= 0 else None


class OpenAIApp:
    """Holds the kernel, its ``Calls`` and the body limit; ``asgi`` is the Starlette app."""

    def __init__(self, kernel: Any, calls: Calls, *, max_body: int = 4 << 20, mcp: Any = None):
        self.k, self.calls, self.max_body = kernel, calls, max_body
        routes = [*([Route("/mcp", mcp, methods=["GET", "POST", "DELETE"])] if mcp is not None else []),Route("/v1/models", self._wrap(self.models), methods=["GET"]),
                  Route("/v1/models/{model:path}", self._wrap(self.model), methods=["GET"]),
                  Route("/v1/chat/completions", self._wrap(self.chat), methods=["POST"]),
                  Route("/v1/completions", self._wrap(self.completions), methods=["POST"]),
                  Route("/v1/embeddings", self._wrap(self.embeddings), methods=["POST"])]
        self.asgi = Starlette(routes=routes, exception_handlers={HTTPException: self._http_error})

    def model_name(self, proc: Any) -> str:
        """The model of the engine the key's process runs on (kernel/sched/engines.py)."""
        return self.k.engines.of(proc).engine.name or "llmos"

    # -- plumbing --------------------------------------------------------------------------------
    def _wrap(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            t0 = time.perf_counter()
            try:
                response = await handler(request)
            except ApiError as exc:
                response = error_response(exc)
            except Exception as exc:  # a bug here: logged for us, never a traceback for the client
                self.k.events.emit("api.crash", path=request.url.path, error=f"{type(exc).__name__}: {exc}",
                                   trace=traceback.format_exc(limit=8))
                response = error_response(ApiError(500, "internal error in the llmos API", "server_error"))
            self.k.events.emit("api.request", method=request.method, path=request.url.path,
                               status=response.status_code, ms=round((time.perf_counter() - t0) * 1000, 2))
            return response
        return endpoint

    async def _run(self, proc: Any, sysreq: Any, sink: Callable[[str], None]) -> Any:
        """A streamed call: once the response has begun, a bug becomes an error event, not a traceback."""
        try:
            return await self.calls.run(proc, sysreq, sink)
        except ApiError:
            raise
        except Exception as exc:
            self.k.events.emit("api.crash", proc.pid, error=f"{type(exc).__name__}: {exc}",
                               trace=traceback.format_exc(limit=8))
            raise ApiError(500, "internal error in the llmos API", "server_error") from None

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        status, detail = (exc.status_code, exc.detail) if isinstance(exc, HTTPException) else (500, "bad request")
        kinds = {404: ("not_found_error", f"no route {request.method} {request.url.path}"),
                 405: ("invalid_request_error", f"method {request.method} is not allowed on {request.url.path}")}
        kind, message = kinds.get(status, ("invalid_request_error", str(detail)))
        return error_response(ApiError(status, message, kind, code="unknown_url" if status == 404 else None))

    async def _body(self, request: Request, schema: type) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            raise ApiError(413, f"request body larger than {self.max_body} bytes", code="request_too_large")
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body:
                    raise ApiError(413, f"request body larger than {self.max_body} bytes", code="request_too_large")
        except ClientDisconnect:  # gone before the body was whole: nobody reads the answer
            raise bad_request("the client hung up before the body was complete") from None
        try:
            return msgspec.json.decode(bytes(body), type=schema)
        except msgspec.ValidationError as exc:
            raise bad_request(f"invalid request: {exc}", _field(exc)) from None
        except msgspec.DecodeError as exc:
            raise bad_request(f"the body is not valid JSON: {exc}") from None
        except UnicodeDecodeError as exc:  # msgspec's strings must be UTF-8, as JSON's are
            raise bad_request(f"the body is not UTF-8: {exc.reason} at byte {exc.start}") from None

    # -- routes ----------------------------------------------------------------------------------
    async def models(self, request: Request) -> Response:
        proc = self.calls.process(request.headers.get("authorization"))
        return json_response({"object": "list", "data": [self._model(proc)]})

    async def model(self, request: Request) -> Response:
        proc = self.calls.process(request.headers.get("authorization"))
        return json_response(self._model(proc))

    def _model(self, proc: Any) -> dict[str, Any]:
        return {"id": self.model_name(proc), "object": "model", "created": int(self.k.started), "owned_by": "llmos"}

    async def chat(self, request: Request) -> Response:
        proc = self.calls.process(request.headers.get("authorization"))
        req: ChatRequest = await self._body(request, ChatRequest)
        chat.check_n(req)
        p = plan(req)
        sysreq = chat.chat_syscall(req, p)
        if self.k.rules is not None:  # what the client's tools returned is untrusted, like any tool's output
            for result in chat.tool_results(req):
                self.k.rules.observe(proc, "tool.call", result)
        if req.stream:
            include = bool(req.stream_options and req.stream_options.include_usage)
            return SSEResponse(lambda sink: self._run(proc, sysreq, sink),
                               Renderer(self.model_name(proc), chat=True, plan=p, include_usage=include))
        reply = await self.calls.run_as(proc, sysreq, llm.Completion)
        return json_response(chat.chat_completion(self.model_name(proc), reply, outcome(p, reply.text, reply.finish_reason)))

    async def completions(self, request: Request) -> Response:
        proc = self.calls.process(request.headers.get("authorization"))
        req: CompletionRequest = await self._body(request, CompletionRequest)
        chat.check_n(req)
        sysreq = chat.complete_syscall(req)
        if req.stream:
            include = bool(req.stream_options and req.stream_options.include_usage)
            return SSEResponse(lambda sink: self._run(proc, sysreq, sink),
                               Renderer(self.model_name(proc), chat=False, include_usage=include))
        reply = await self.calls.run_as(proc, sysreq, llm.Completion)
        return json_response(chat.text_completion(self.model_name(proc), reply))

    async def embeddings(self, request: Request) -> Response:
        proc = self.calls.process(request.headers.get("authorization"))
        req: EmbeddingRequest = await self._body(request, EmbeddingRequest)
        if req.dimensions not in (None, DIM):
            raise bad_request(f"dimensions must be {DIM}, the size of the kernel's embedding model", "dimensions")
        texts = [req.input] if isinstance(req.input, str) else req.input
        reply = await self.calls.run_as(proc, llm.Embed(texts=texts), llm.Embeddings)
        data = []
        for i, vec in enumerate(reply.vectors):
            value: Any = vec
            if req.encoding_format == "base64":
                value = base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode()
            data.append({"object": "embedding", "index": i, "embedding": value})
        return json_response({"object": "list", "data": data, "model": reply.model,
                              "usage": {"prompt_tokens": reply.tokens_in, "total_tokens": reply.tokens_in}})
