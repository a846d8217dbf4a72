"""ReplicaEngine: one model served by several OpenAI-compatible servers, with per-process affinity and failover."""
from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any
from urllib.parse import urlsplit

import anyio
import msgspec

from .base import Engine, EngineError, EngineStats, FinishReason, Generation, GenRequest, GenResult, Message, Token
from .openai import OpenAIEngine
from .openai_wire import PieceVocab

SUMMED = ("busy_slots", "queued", "decode_steps", "multi_seq_steps", "tokens_generated", "tokens_prefilled",
          "tokens_cached", "cancelled", "prompt_tokens_sent")


def split_addresses(spec: str) -> list[str]:
    """The addresses of a replica list ``"http://a:8000,http://b:8000"``; ``EngineError`` (invalid) naming
    the first bad entry: an empty one, one that is not an http(s) URL with a host, or one listed twice."""
    out: list[str] = []
    for n, raw in enumerate(spec.split(","), 1):
        url = raw.strip().rstrip("/")
        if not url:
            raise EngineError(f"replica list {spec.strip()!r}: entry {n} is empty", code="invalid")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise EngineError(f"replica list {spec.strip()!r}: entry {n} ({raw.strip()!r}) is not an http(s) URL",
                              code="invalid")
        if url in out:
            raise EngineError(f"replica list {spec.strip()!r}: {url} is listed twice", code="invalid")
        out.append(url)
    return out


class ReplicaInfo(msgspec.Struct):
    """One replica as ``top`` or ``ps`` may show it."""

    address: str
    up: bool  # False while it is out after a failure
    in_flight: int
    keys: int  # processes pinned to it
    retry_in_s: float = 0.0  # while out: seconds until it is tried again
    error: str = ""  # why it was taken out last


class Replica:
    """A replica's routing state; its engine does the HTTP."""

    def __init__(self, engine: OpenAIEngine):
        self.engine, self.address = engine, engine.address
        self.in_flight = 0
        self.keys: set[str] = set()
        self.down_until = 0.0  # clock time before which it gets no request
        self.error = ""


def is_failure(exc: EngineError) -> bool:
    """Errors that say the replica, not the request, is wrong: refused, reset, timed out, 5xx, a broken
    stream.  4xx (bad request, denied) and 429 (busy: it is alive) do not take a replica out."""
    return exc.retryable and exc.code != "rate_limited"


class ReplicaEngine(Engine):
    """Several OpenAI-compatible endpoints serving the same model, seen as one engine.

    A request's ``key`` (its process) stays on one replica while that replica is healthy, so the
    server's prefix cache keeps the conversation; a new key goes to the replica with the fewest
    requests in flight (ties: fewest keys pinned, then list order).  A replica that fails is out for
    ``retry_s`` seconds and its keys move; after that its next request is its test.  A request that
    fails before its first token is sent to another replica; one that fails mid-answer ends with a
    retryable error, so the kernel's retry (which holds the whole conversation) lands elsewhere.
    ``n_slots`` and ``n_ctx`` are per replica; the engine has their sums.
    """

    name = "replicas"

    def __init__(self, addresses: list[str], *, retry_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 **opts: Any):
        if not addresses:
            raise EngineError("a replica engine needs at least one address", code="invalid")
        if retry_s < 0:
            raise EngineError(f"retry_s must be 0 or more, not {retry_s!r}", code="invalid")
        self._vocab = PieceVocab()  # one vocabulary: token ids mean the same on every replica
        self.replicas = [Replica(OpenAIEngine(a, vocab=self._vocab, **opts)) for a in addresses]
        self.retry_s, self._clock = retry_s, clock
        self.n_slots = sum(r.engine.n_slots for r in self.replicas)
        self.n_ctx = sum(r.engine.n_ctx for r in self.replicas)
        self._pins: dict[str, Replica] = {}
        self._requests = self._errors = 0

    @property
    def _first(self) -> OpenAIEngine:
        return self.replicas[0].engine

    # -- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every replica at once; those that do not answer are out (tried again after ``retry_s``).
        Fails only when none answers."""
        errors: dict[str, EngineError] = {}

        async def one(rep: Replica) -> None:
            try:
                await rep.engine.start()
            except EngineError as exc:
                errors[rep.address] = exc
        async with anyio.create_task_group() as tg:
            for rep in self.replicas:
                tg.start_soon(one, rep)
        for rep in self.replicas:
            if rep.address in errors:
                self._down(rep, errors[rep.address])
        if len(errors) == len(self.replicas):
            raise self._all_down(retry=False)  # nothing will be retried: the engine did not start
        model = next(r.engine.model for r in self.replicas if r.address not in errors)
        for rep in self.replicas:  # a replica that was down learns the model name of the ones that answered
            if not rep.engine.model:
                rep.engine.model = model

    async def close(self) -> None:
        for rep in self.replicas:
            await rep.engine.close()

    # -- routing ----------------------------------------------------------------------------------
    def _healthy(self, rep: Replica) -> bool:
        return rep.down_until <= self._clock()

    def route(self, key: str, tried: list[Replica] | None = None) -> Replica:
        """The replica for ``key``'s next request (pinning it there), skipping ``tried``; ``EngineError``
        (unavailable) naming every address when none is left."""
        tried = tried or []
        pinned = self._pins.get(key) if key else None
        if pinned is not None and pinned not in tried and self._healthy(pinned):
            return pinned
        choices = [r for r in self.replicas if r not in tried and self._healthy(r)]
        if not choices:
            raise self._all_down()
        best = min(choices, key=lambda r: (r.in_flight, len(r.keys)))
        if key:
            self._unpin(key)
            best.keys.add(key)
            self._pins[key] = best
        return best

    def replica_for(self, key: str) -> str | None:
        """The address ``key`` is pinned to, if any."""
        rep = self._pins.get(key)
        return rep.address if rep is not None else None

    def info(self) -> list[ReplicaInfo]:
        now = self._clock()
        return [ReplicaInfo(address=r.address, up=r.down_until <= now, in_flight=r.in_flight, keys=len(r.keys),
                            retry_in_s=round(max(0.0, r.down_until - now), 3), error=r.error) for r in self.replicas]

    def _unpin(self, key: str) -> None:
        rep = self._pins.pop(key, None)
        if rep is not None:
            rep.keys.discard(key)

    def _down(self, rep: Replica, exc: EngineError) -> None:
        rep.down_until = self._clock() + self.retry_s
        rep.error = str(exc)
        for key in list(rep.keys):  # its processes move on their next call
            self._unpin(key)

    def _up(self, rep: Replica) -> None:
        rep.down_until, rep.error = 0.0, ""

    def _all_down(self, *, retry: bool = True) -> EngineError:
        now = self._clock()
        parts = []
        for r in self.replicas:
            wait = r.down_until - now
            when = f"; retried in {wait:.0f} s" if retry and wait > 0.5 else ""
            parts.append(f"{r.address} ({r.error or 'failed'}{when})")
        return EngineError(f"no llm engine replica available: {'; '.join(parts)}", code="unavailable",
                           retryable=True)

    # -- the engine interface ---------------------------------------------------------------------
    def submit(self, req: GenRequest) -> Generation:
        self._requests += 1
        return ReplicaGeneration(self, req)

    def kv_forget(self, key: str) -> None:
        rep = self._pins.get(key)
        self._unpin(key)
        if rep is not None:
            rep.engine.kv_forget(key)

    def kv_pause(self, key: str, idle_s: float) -> None:
        rep = self._pins.get(key)
        if rep is not None:
            rep.engine.kv_pause(key, idle_s)

    def tokenize(self, text: str) -> list[int]:
        return self._first.tokenize(text)

    def detokenize(self, tokens: list[int]) -> str:
        return self._first.detokenize(tokens)

    def count_tokens(self, text: str) -> int:
        return self._first.count_tokens(text)

    def apply_template(self, messages: list[Message]) -> list[int]:
        return self._first.apply_template(messages)

    def stats(self) -> EngineStats:
        each = [r.engine.stats() for r in self.replicas]
        out = EngineStats(model=next((r.engine.model for r in self.replicas if r.engine.model), self.name),
                          n_slots=self.n_slots, n_ctx=self.n_ctx, requests=self._requests, errors=self._errors,
                          max_batch_seqs=max(s.max_batch_seqs for s in each))
        for f in SUMMED:
            setattr(out, f, sum(getattr(s, f) for s in each))
        return out


class ReplicaGeneration(Generation):
    """One request on whichever replica its key is routed to; re-sent elsewhere when a replica fails
    before the first token."""

    def __init__(self, engine: ReplicaEngine, req: GenRequest):
        self._eng, self._req = engine, req
        self._inner: Generation | None = None
        self._reason: FinishReason | None = None
        self._result: GenResult | None = None
        self.address = ""  # the replica that answered (or last tried)

    def cancel(self, reason: FinishReason = "cancelled") -> None:
        if self._result is None and self._reason is None:
            self._reason = reason
        if self._inner is not None:
            self._inner.cancel(reason)

    async def __aiter__(self) -> AsyncGenerator[Token, None]:
        eng, req = self._eng, self._req
        tried: list[Replica] = []
        try:
            while self._reason is None:
                rep = eng.route(req.key, tried)
                tried.append(rep)
                self.address = rep.address
                self._inner = inner = rep.engine.submit(req)
                started = False
                rep.in_flight += 1
                try:
                    async with aclosing(inner.__aiter__()) as tokens:
                        async for tok in tokens:
                            started = True
                            yield tok
                except EngineError as exc:
                    if not is_failure(exc):
                        raise
                    eng._down(rep, exc)
                    if started:  # the answer so far is lost: the caller's retry starts it again elsewhere
                        raise EngineError(f"{exc} (mid-answer; this replica is out for {eng.retry_s:g} s)",
                                          code=exc.code, retryable=True) from exc
                    continue
                finally:
                    rep.in_flight -= 1
                eng._up(rep)
                self._result = inner.result
                return
        except EngineError as exc:
            eng._errors += 1
            self._result = GenResult(text="", prompt=[], tokens=list(req.generated), finish_reason="error",
                                     error=str(exc))
            raise
        finally:  # cancelled before any replica was asked, or the caller closed the stream early
            if self._result is None:
                self._result = GenResult(text="", prompt=[], tokens=list(req.generated),
                                         finish_reason=self._reason or "cancelled")
