"""The one LLM engine interface: submit a generation, stream tokens back, cancel."""
from __future__ import annotations

import abc
from typing import Any, AsyncGenerator, Literal

import msgspec

from ..errors import DriverError

FinishReason = Literal["stop", "length", "cancelled", "preempted", "error"]


class Message(msgspec.Struct, frozen=True):
    """One chat message. ``role`` is system, user, assistant or tool."""

    role: str
    content: str


class Sampling(msgspec.Struct, frozen=True):
    temperature: float = 0.0  # 0 means greedy
    top_k: int = 40
    top_p: float = 0.95
    seed: int = 0
    repeat_penalty: float = 1.0


class GenRequest(msgspec.Struct):
    """A request for one sequence.

    Give either ``messages`` (the engine applies the model's chat template) or
    ``prompt`` (token ids).  ``generated`` holds tokens this sequence already produced
    before a preemption: the engine replays them into the sampler and grammar, counts
    them against ``max_tokens`` and continues exactly where it stopped.
    """

    messages: list[Message] | None = None
    prompt: list[int] | None = None
    generated: list[int] = []
    max_tokens: int = 256
    sampling: Sampling = Sampling()
    stop: list[str] = []
    json_schema: dict[str, Any] | None = None  # constrain output to this JSON schema
    grammar: str | None = None  # or to this GBNF grammar
    key: str = ""  # who asks (a pid); used for stats and per-owner cache hints
    keep_kv: bool = False  # the owner will continue this conversation: keep its KV attributed to ``key``


class ScoreRequest(msgspec.Struct):
    """Score candidate continuations of one prompt: give ``messages`` (the assistant turn is opened)
    or ``prompt`` tokens; each candidate is plain text that would follow it."""

    candidates: list[str]
    messages: list[Message] | None = None
    prompt: list[int] | None = None
    key: str = ""


class ScoreResult(msgspec.Struct):
    """Per candidate: the sum of its tokens' log-probabilities (natural log) and its token count."""

    logprobs: list[float]
    tokens: list[int]
    prompt_tokens: int
    duration_s: float = 0.0


class Token(msgspec.Struct, frozen=True):
    id: int
    text: str


class GenResult(msgspec.Struct):
    text: str
    prompt: list[int]  # the prompt tokens as evaluated
    tokens: list[int]  # every generated token, including replayed ``generated``
    finish_reason: FinishReason
    prompt_tokens: int = 0  # tokens actually prefilled for this request (after cache reuse)
    cached_tokens: int = 0  # prompt tokens served from KV already in memory
    ttft_s: float = 0.0
    duration_s: float = 0.0
    error: str = ""


class EngineStats(msgspec.Struct):
    """Counters an engine keeps; the kernel and ``top`` read them."""

    model: str = ""
    n_slots: int = 1
    n_ctx: int = 0
    busy_slots: int = 0
    queued: int = 0
    decode_steps: int = 0
    max_batch_seqs: int = 0  # most sequences carried in one decode step
    multi_seq_steps: int = 0  # decode steps that carried more than one sequence
    tokens_generated: int = 0
    tokens_prefilled: int = 0
    tokens_cached: int = 0
    requests: int = 0
    cancelled: int = 0
    errors: int = 0
    resumes: int = 0  # preempted sequences resumed with their KV (kept in place, restored, or copied)
    reprefills: int = 0  # preempted sequences whose saved KV was lost: re-prefilled from their tokens
    reprefill_tokens: int = 0
    prefix_copies: int = 0  # new sequences that got a shared prompt prefix copied from another slot
    prefix_copied_tokens: int = 0
    prompt_tokens_sent: int = 0  # prompt tokens of new requests (tokens_prefilled is what was computed)
    follow_resumes: int = 0  # requests of an owner whose kept KV (``keep_kv``) was all still there


class Generation(abc.ABC):
    """A generation in flight: iterate for tokens, then read ``result``."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncGenerator[Token, None]: ...

    @abc.abstractmethod
    def cancel(self, reason: FinishReason = "cancelled") -> None:
        """Stop within one decode step. Safe to call from any task, more than once."""

    _result: GenResult | None  # set by the subclass when iteration ends

    @property
    def result(self) -> GenResult:
        """Available once iteration has ended."""
        if self._result is None:
            raise RuntimeError("generation has not finished")
        return self._result


class Engine(abc.ABC):
    """One model, ``n_slots`` sequence slots.  All methods are called from the event loop."""

    name: str = "engine"
    n_slots: int = 1
    n_ctx: int = 2048

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    def submit(self, req: GenRequest) -> Generation:
        """Queue a request; the returned handle streams its tokens."""

    @abc.abstractmethod
    def tokenize(self, text: str) -> list[int]: ...

    @abc.abstractmethod
    def detokenize(self, tokens: list[int]) -> str: ...

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    @abc.abstractmethod
    def apply_template(self, messages: list[Message]) -> list[int]:
        """Prompt tokens for ``messages`` with the assistant turn opened."""

    @abc.abstractmethod
    def stats(self) -> EngineStats: ...

    def kv_pause(self, key: str, idle_s: float) -> None:
        """Owner ``key`` (a process) is paused in a syscall expected to last ``idle_s`` seconds; an
        engine that keeps owners' KV (``GenRequest.keep_kv``) evicts the one needed last first."""
        return None  # an engine that keeps no KV per owner has nothing to do

    def set_swap_dir(self, path: str | None) -> None:
        """Where saved KV may spill to disk when its RAM runs short; ``None``: nowhere."""
        return None  # an engine that saves no KV has nothing to spill

    def kv_forget(self, key: str) -> None:
        """Owner ``key`` has ended: whatever KV an engine kept for it is no longer needed."""
        return None

    async def score(self, req: ScoreRequest) -> ScoreResult:
        """The log-likelihood of each candidate after the prompt, in one batched pass.  Engines that
        cannot read their model's probabilities (most HTTP endpoints) answer ``unsupported``."""
        raise EngineError(f"the {self.name} engine cannot score candidates", code="unsupported")

    async def generate(self, req: GenRequest) -> GenResult:
        """Convenience: run a request to completion."""
        gen = self.submit(req)
        async for _ in gen:
            pass
        return gen.result


class EngineError(DriverError):
    """The engine failed a request; ``retryable`` says whether trying again may help."""

    code = "llm_error"
