"""OpenAIEngine: any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, hosted APIs) over httpx."""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from .base import Engine, EngineError, EngineStats, Generation, GenRequest, Message
from .openai_stream import OpenAIGeneration, current_loop_id
from .openai_wire import (
    PieceVocab,
    approx_count,
    chat_body,
    http_error,
    transport_error,
)

API_KEY_ENVS = ("LLMOS_LLM_API_KEY", "OPENAI_API_KEY")


class OpenAIEngine(Engine):
    """Chat completions over HTTP with streaming.  ``n_slots`` bounds concurrent requests.

    Token ids are local: each streamed delta gets an id from a per-engine piece vocabulary, so
    ``detokenize`` inverts them and ``generated`` can be replayed, but they mean nothing to the
    server.  ``tokenize``/``count_tokens`` are offline approximations (the interface is
    synchronous and must not block the event loop on the network); ``count_tokens_exact`` asks
    the server when it has a tokenize endpoint.  ``apply_template`` cannot see the remote model's
    template: it returns local ids of a plain rendering, good for budgeting, and remembers the
    messages so a request built from those ids is still sent as a chat.
    """

    name = "openai"

    def __init__(self, base_url: str, *, model: str = "", api_key: str | None = None, n_slots: int = 4,
                 n_ctx: int = 8192, timeout: float = 120.0, connect_timeout: float = 10.0,
                 schema_style: str = "auto", extra_body: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, vocab: PieceVocab | None = None):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EngineError(f"not an http(s) URL: {base_url!r}", code="invalid")
        path = parts.path.rstrip("/")
        self.base_url = f"{parts.scheme}://{parts.netloc}{path if path else '/v1'}"
        self.address = f"{parts.scheme}://{parts.netloc}{path}"  # as the person wrote it, for messages
        self.model = model
        self.api_key = api_key if api_key is not None else next(
            (os.environ[k] for k in API_KEY_ENVS if os.environ.get(k)), "")
        self.n_slots, self.n_ctx = n_slots, n_ctx
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        if schema_style not in ("auto", "json_schema", "json_object"):
            raise EngineError(f"schema_style must be auto, json_schema or json_object, not {schema_style!r}",
                              code="invalid")
        self.schema_style = schema_style
        self.extra_body = dict(extra_body or {})
        self.headers = dict(headers or {})
        self._http: httpx.AsyncClient | None = None
        self._http_loop: object = None
        self._slots = anyio.Semaphore(n_slots)
        self._busy = self._waiting = 0
        self._vocab = vocab if vocab is not None else PieceVocab()  # shared by replicas of one model
        self._tokenize_path: str | None = None
        self._schema_fallback = False
        self._stats = EngineStats(model=model or self.base_url, n_slots=n_slots, n_ctx=n_ctx)

    def _client(self) -> httpx.AsyncClient:
        """The HTTP client of the running event loop (connections belong to one loop)."""
        loop = current_loop_id()
        if self._http is not None and self._http_loop != loop:
            self._http = None  # made under another, probably finished, loop: its pool is unusable here
        if self._http is None:
            self._http_loop = loop
            headers = {"Accept": "text/event-stream", **self.headers}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            self._http = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, headers=headers,
                                           limits=httpx.Limits(max_connections=self.n_slots + 4))
        return self._http

    async def start(self) -> None:
        """Check the server answers and learn a model name if none was given."""
        try:
            resp = await self._client().get("/models")
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.address, self.timeout) from exc
        if resp.status_code >= 500 or resp.status_code in (401, 403):
            raise http_error(resp.status_code, resp.text, self.address)
        if resp.status_code == 200 and not self.model:
            try:
                data = resp.json().get("data") or []
                self.model = data[0]["id"] if data else ""
            except (ValueError, AttributeError, LookupError, TypeError):
                self.model = ""  # an odd /models answer: the server will pick its default
        self._stats.model = self.model or self.base_url

    async def close(self) -> None:
        if self._http is not None and self._http_loop == current_loop_id():
            await self._http.aclose()
        self._http = None

    def submit(self, req: GenRequest) -> Generation:
        self._stats.requests += 1
        return OpenAIGeneration(self, req)

    def _body(self, req: GenRequest) -> dict[str, Any]:
        if req.messages is not None:
            messages = list(req.messages)
        elif req.prompt is not None:
            known = self._vocab.messages_for(req.prompt)
            messages = known if known is not None else [Message("user", self.detokenize(req.prompt))]
        else:
            raise EngineError("request has neither messages nor prompt", code="invalid")
        remaining = req.max_tokens - len(req.generated)
        if remaining <= 0:
            raise EngineError("max_tokens already used by generated tokens", code="invalid")
        style = "json_object" if self.schema_style == "auto" and self._schema_fallback else self.schema_style
        return chat_body(req, messages, model=self.model or "default", max_tokens=remaining,
                         schema_style=style, extra=self.extra_body,
                         continuation=self.detokenize(req.generated) if req.generated else "")

    def _may_fall_back(self, body: dict[str, Any], status: int, answer: bytes) -> bool:
        """With ``schema_style="auto"``, a rejected OpenAI ``json_schema`` switches this engine to the
        ``json_object`` + ``schema`` form that llama-cpp-python's server understands (it answers
        that validation error with a 500)."""
        fmt = body.get("response_format") or {}
        rejected = status in (400, 422) or b"response_format" in answer or b"json_schema" in answer
        if (rejected and self.schema_style == "auto" and not self._schema_fallback
                and fmt.get("type") == "json_schema"):
            self._schema_fallback = True
            return True
        return False

    # -- tokens (local approximations; see the class docstring) --------------------------------------
    def tokenize(self, text: str) -> list[int]:
        return self._vocab.encode(text)

    def detokenize(self, tokens: list[int]) -> str:
        return self._vocab.decode(tokens)

    def count_tokens(self, text: str) -> int:
        return approx_count(text)

    def apply_template(self, messages: list[Message]) -> list[int]:
        ids = self.tokenize("".join(f"{m.role}: {m.content}\n" for m in messages) + "assistant: ")
        self._vocab.remember(ids, messages)
        return ids

    async def count_tokens_exact(self, text: str) -> int:
        """Ask the server's tokenizer (llama.cpp ``/tokenize``, llama-cpp-python ``/extras/tokenize``,
        vLLM ``/tokenize``); fall back to the approximation when none answers."""
        root = self.base_url.removesuffix("/v1")
        candidates = [self._tokenize_path] if self._tokenize_path else [
            f"{root}/extras/tokenize", f"{root}/tokenize"]
        for url in candidates:
            try:
                resp = await self._client().post(url, json={"input": text, "content": text, "prompt": text,
                                                            "model": self.model or "default"})
                if resp.status_code == 200:
                    data = resp.json()
                    n = data.get("count", len(data.get("tokens") or []))
                    self._tokenize_path = url
                    return int(n)
            except (httpx.HTTPError, ValueError):
                continue
        return approx_count(text)

    def stats(self) -> EngineStats:
        s = self._stats
        return EngineStats(**{f: getattr(s, f) for f in s.__struct_fields__} | {
            "busy_slots": self._busy, "queued": self._waiting})
