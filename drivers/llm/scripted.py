"""A scripted engine that replays fixed replies, so tests of kernel logic are exact."""
from __future__ import annotations

import re
from collections import deque
from typing import AsyncGenerator, Callable, Iterable

import anyio

from .base import (
    Engine,
    EngineError,
    EngineStats,
    FinishReason,
    Generation,
    GenRequest,
    GenResult,
    Message,
    ScoreRequest,
    ScoreResult,
    Token,
)

Reply = str | Callable[[GenRequest], str]
Scorer = Callable[[str, str], float]  # (prompt text, candidate) -> log-likelihood
_PIECE = re.compile(r"\s*\S+|\s+")


class _Vocab:
    """A toy tokenizer: whitespace-led words, ids assigned on first sight."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []

    def encode(self, text: str) -> list[int]:
        out = []
        for piece in _PIECE.findall(text):
            if piece not in self.ids:
                self.ids[piece] = len(self.words)
                self.words.append(piece)
            out.append(self.ids[piece])
        return out

    def decode(self, ids: Iterable[int]) -> str:
        return "".join(self.words[i] for i in ids)


class ScriptedGeneration(Generation):
    def __init__(self, engine: "ScriptedEngine", req: GenRequest, reply: str | Exception):
        self._engine, self._req, self._reply = engine, req, reply
        self._reason: FinishReason | None = None
        self._result: GenResult | None = None

    def cancel(self, reason: FinishReason = "cancelled") -> None:
        if self._reason is None:
            self._reason = reason

    async def __aiter__(self) -> AsyncGenerator[Token, None]:
        eng, req = self._engine, self._req
        prompt = req.prompt if req.prompt is not None else eng.apply_template(req.messages or [])
        tokens = list(req.generated)
        reason: FinishReason = "stop"
        error = ""
        async with eng._slots:
            eng._busy += 1
            try:
                if isinstance(self._reply, Exception):
                    raise self._reply
                planned = eng.tokenize(self._reply)
                eng._stats.tokens_prefilled += len(prompt)
                for tok in planned[len(tokens):]:
                    if self._reason is not None:
                        reason = self._reason
                        break
                    if len(tokens) >= req.max_tokens:
                        reason = "length"
                        break
                    await anyio.sleep(eng.token_delay)
                    if self._reason is not None:
                        reason = self._reason
                        break
                    tokens.append(tok)
                    eng._step(eng._busy)
                    yield Token(tok, eng.detokenize([tok]))
                else:
                    if self._reason is not None:
                        reason = self._reason
            except EngineError as exc:
                reason, error = "error", str(exc)
                eng._stats.errors += 1
            finally:
                eng._busy -= 1
        if reason in ("cancelled", "preempted"):
            eng._stats.cancelled += 1
        self._result = GenResult(
            text=eng.detokenize(tokens[len(req.generated):]) if reason != "error" else "",
            prompt=prompt, tokens=tokens, finish_reason=reason, prompt_tokens=len(prompt), error=error,
        )
        if reason == "error":
            raise EngineError(error, retryable=True)


class ScriptedEngine(Engine):
    """Replies come from ``script``: strings or callables of the request, in order.

    When the script runs out, ``default`` answers (a string or callable); without one,
    the request fails with an ``EngineError``.  ``token_delay`` paces tokens so tests
    can observe a generation in flight.  ``scorer(prompt_text, candidate)`` gives ``score``'s
    log-likelihoods (default: -1 per token, so shorter candidates rank first); every score
    request is kept in ``score_requests``.
    """

    name = "scripted"

    def __init__(self, script: Iterable[Reply | Exception] = (), *, default: Reply | None = None,
                 n_slots: int = 4, n_ctx: int = 4096, token_delay: float = 0.0, scorer: Scorer | None = None):
        self.script: deque[Reply | Exception] = deque(script)
        self.default = default
        self.n_slots, self.n_ctx, self.token_delay = n_slots, n_ctx, token_delay
        self.requests: list[GenRequest] = []  # every request seen, for assertions
        self.scorer = scorer
        self.score_requests: list[ScoreRequest] = []
        self._vocab = _Vocab()
        self._slots = anyio.Semaphore(n_slots)
        self._busy = 0
        self._stats = EngineStats(model="scripted", n_slots=n_slots, n_ctx=n_ctx)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def push(self, *replies: Reply | Exception) -> None:
        self.script.extend(replies)

    def submit(self, req: GenRequest) -> Generation:
        self.requests.append(req)
        self._stats.requests += 1
        if self.script:
            item = self.script.popleft()
        elif self.default is not None:
            item = self.default
        else:
            item = EngineError("scripted engine: script exhausted")
        reply = item(req) if callable(item) and not isinstance(item, Exception) else item
        return ScriptedGeneration(self, req, reply)

    async def score(self, req: ScoreRequest) -> ScoreResult:
        self.score_requests.append(req)
        prompt = req.prompt if req.prompt is not None else self.apply_template(req.messages or [])
        text = self.detokenize(prompt)
        tokens = [len(self.tokenize(c)) for c in req.candidates]
        if not req.candidates or not all(tokens):
            raise EngineError("scoring needs non-empty candidates", code="invalid")
        scores = [self.scorer(text, c) if self.scorer else -float(n) for c, n in zip(req.candidates, tokens)]
        return ScoreResult(logprobs=scores, tokens=tokens, prompt_tokens=len(prompt))

    def tokenize(self, text: str) -> list[int]:
        return self._vocab.encode(text)

    def detokenize(self, tokens: list[int]) -> str:
        return self._vocab.decode(tokens)

    def apply_template(self, messages: list[Message]) -> list[int]:
        text = "".join(f"<|{m.role}|>{m.content}\n" for m in messages) + "<|assistant|>"
        return self.tokenize(text)

    def _step(self, batch: int) -> None:
        s = self._stats
        s.decode_steps += 1
        s.tokens_generated += 1
        s.max_batch_seqs = max(s.max_batch_seqs, batch)
        if batch > 1:
            s.multi_seq_steps += 1

    def stats(self) -> EngineStats:
        self._stats.busy_slots = self._busy
        return self._stats
