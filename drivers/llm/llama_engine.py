"""LlamaEngine: one in-process llama.cpp model, ``n_slots`` sequence slots, continuous batching."""
from __future__ import annotations

import os
import time
from typing import Any, Self

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
)
from .llama_handle import Done, ThreadedGeneration, current_waker
from .llama_loop import DecodeLoop
from .llama_native import NativeModel
from .llama_score import Scorer
from .llama_seq import Seq
from .model import default_model_path
from .weights import FORMATS, requantized


class LlamaEngine(Engine):
    """llama.cpp on the low-level C API.

    ``n_ctx`` is the whole KV cache, shared by the slots: each sequence gets ``n_ctx // n_slots``
    tokens (or all of ``n_ctx`` with ``kv_unified=True``).  One decode thread batches one token
    for every running sequence plus prefill chunks of at most ``prefill_chunk`` tokens.

    A sequence cancelled with reason ``"preempted"`` keeps its KV in its slot; if another request
    needs that slot first, the KV is copied to host memory (up to ``kv_store_bytes``; beyond that
    to files under ``kv_swap_dir``, up to ``kv_swap_bytes``) and put back into any free slot when
    the sequence is resubmitted with its ``generated`` tokens.  A state lost on the way is
    re-prefilled from the tokens and counted (``EngineStats.reprefills``).

    With ``share_prefixes`` a new sequence whose prompt starts like one a busy slot holds (an
    app's system prompt) gets that prefix copied (``llama_memory_seq_cp``) rather than prefilled.

    ``weights`` (``"q8_0"`` or ``"f16"``) serves a copy of the model converted to that format once and
    cached (drivers/llm/weights.py); None serves the file as it is.

    ``n_gpu_layers`` (default ``$LLMOS_N_GPU_LAYERS`` or 0; -1 means all) offloads layers on a
    CUDA/Metal build of llama-cpp-python; the CPU build ignores it.
    """

    name = "llama.cpp"

    def __init__(self, model_path: str | None = None, *, n_slots: int = 4, n_ctx: int = 8192,
                 n_batch: int = 512, n_threads: int = 2, prefill_chunk: int = 256,
                 kv_unified: bool = False, kv_store_bytes: int = 256 << 20, kv_swap_dir: str | None = None,
                 kv_swap_bytes: int = 4 << 30, share_prefixes: bool = True, n_gpu_layers: int | None = None,
                 weights: str | None = None, verbose: bool = False):
        if n_slots < 1 or n_ctx < n_slots * 16 or n_batch < n_slots:
            raise EngineError(f"bad engine geometry n_slots={n_slots} n_ctx={n_ctx} n_batch={n_batch}",
                              code="invalid")
        if weights is not None and weights not in FORMATS:
            raise EngineError(f"unknown weight format {weights!r}: use one of {', '.join(FORMATS)}", code="invalid")
        self.model_path, self.weights = model_path, weights
        self.n_slots, self.n_ctx, self.n_batch = n_slots, n_ctx, n_batch
        self.n_threads, self.prefill_chunk = n_threads, prefill_chunk
        self.kv_unified, self.verbose = kv_unified, verbose
        self.kv_store_bytes, self.kv_swap_dir, self.kv_swap_bytes = kv_store_bytes, kv_swap_dir, kv_swap_bytes
        self.share_prefixes = share_prefixes
        self.n_gpu_layers = int(os.environ.get("LLMOS_N_GPU_LAYERS", "0") or 0) if n_gpu_layers is None else n_gpu_layers
        self._native: NativeModel | None = None
        self._loop: DecodeLoop | None = None
        self._scorer: Scorer | None = None  # made at the first llm.score
        self._stats = EngineStats(n_slots=n_slots, n_ctx=n_ctx)

    # -- lifetime ----------------------------------------------------------------------------------
    async def start(self) -> None:
        if self._loop is not None:
            return
        path = self.model_path or default_model_path()
        if self.weights is not None:
            path = await anyio.to_thread.run_sync(requantized, path, self.weights)
        native = await anyio.to_thread.run_sync(self._load, path)
        self.model_path = path
        self._native = native
        self.n_ctx = native.n_ctx
        self._stats.model = native.name()
        self._stats.n_ctx = native.n_ctx
        loop = DecodeLoop(native, self._stats, n_slots=self.n_slots, prefill_chunk=self.prefill_chunk,
                          kv_store_bytes=self.kv_store_bytes, kv_swap_dir=self.kv_swap_dir,
                          kv_swap_bytes=self.kv_swap_bytes, share_prefixes=self.share_prefixes)
        loop.thread.start()
        error = await anyio.to_thread.run_sync(loop.wait_ready)  # the warm-up decode runs on the loop's thread
        if error is not None:
            await anyio.to_thread.run_sync(loop.thread.join)
            loop.close()
            self._native = None
            native.close()
            raise error
        self._loop = loop

    def _load(self, path: str) -> NativeModel:
        native = NativeModel(path, n_ctx=self.n_ctx, n_seq_max=self.n_slots, n_batch=self.n_batch,
                             n_threads=self.n_threads, kv_unified=self.kv_unified, verbose=self.verbose,
                             n_gpu_layers=self.n_gpu_layers)
        try:  # compile the chat template now rather than on the event loop at the first request
            native.chat_prompt([Message("user", "hi")])
        except EngineError:
            pass  # a model without a template still serves token prompts
        except BaseException:
            native.close()
            raise
        return native

    async def close(self) -> None:
        loop, native, scorer = self._loop, self._native, self._scorer
        self._loop, self._scorer = None, None
        if scorer is not None:
            await anyio.to_thread.run_sync(scorer.close)
        if loop is not None:
            loop.stop()
            await anyio.to_thread.run_sync(loop.thread.join)
            loop.close()
        if native is not None:
            self._native = None
            native.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- generation --------------------------------------------------------------------------------
    def submit(self, req: GenRequest) -> Generation:
        loop = self._loop
        gen = ThreadedGeneration(self._cancel, current_waker())
        self._stats.requests += 1
        t0 = time.perf_counter()
        try:
            if loop is None or self._native is None:
                raise EngineError("engine is not started", code="unavailable", retryable=True)
            if req.prompt is not None:
                prompt = list(req.prompt)
            elif req.messages is not None:
                prompt = self._native.apply_template(req.messages)
            else:
                raise EngineError("request has neither messages nor prompt", code="invalid")
        except EngineError as exc:
            self._stats.errors += 1
            gen._push(Done(GenResult(text="", prompt=list(req.prompt or []), tokens=list(req.generated),
                                     finish_reason="error", error=str(exc)), exc))
            return gen
        loop.submit(Seq(gen, req, prompt, t0))
        return gen

    def _cancel(self, gen: ThreadedGeneration, reason: FinishReason) -> None:
        if self._loop is not None:
            self._loop.poke()

    async def score(self, req: ScoreRequest) -> ScoreResult:
        """drivers/llm/llama_score.py: the prompt once, the candidates together, in a context of their own."""
        native = self._nm()
        if req.prompt is not None:
            prompt = list(req.prompt)
        elif req.messages is not None:
            prompt = native.apply_template(req.messages)
        else:
            raise EngineError("request has neither messages nor prompt", code="invalid")
        cands = [native.tokenize(c) for c in req.candidates]
        if self._scorer is None:
            made = await anyio.to_thread.run_sync(
                lambda: Scorer(native, n_ctx=min(4096, native.n_ctx), n_threads=self.n_threads))
            if self._scorer is None:
                self._scorer = made
            else:  # another first call made one meanwhile
                made.close()
        logprobs, seconds = await anyio.to_thread.run_sync(self._scorer.score, prompt, cands)
        return ScoreResult(logprobs=logprobs, tokens=[len(c) for c in cands], prompt_tokens=len(prompt),
                           duration_s=seconds)

    # -- tokens --------------------------------------------------------------------------------------
    def _nm(self) -> NativeModel:
        if self._native is None:
            raise EngineError("engine is not started", code="unavailable", retryable=True)
        return self._native

    def tokenize(self, text: str) -> list[int]:
        """Plain text to tokens: no BOS, special-token text is not parsed (safe for untrusted text)."""
        return self._nm().tokenize(text)

    def detokenize(self, tokens: list[int]) -> str:
        return self._nm().detokenize(tokens)

    def apply_template(self, messages: list[Message]) -> list[int]:
        return self._nm().apply_template(messages)

    def chat_prompt(self, messages: list[Message]) -> str:
        """The rendered chat template text (for logs and debugging)."""
        return self._nm().chat_prompt(messages)

    def kv_pause(self, key: str, idle_s: float) -> None:
        if self._loop is not None:
            self._loop.owner_news(key, max(0.0, idle_s))

    def kv_forget(self, key: str) -> None:
        if self._loop is not None:
            self._loop.owner_news(key, None)

    def kv_cost_stats(self) -> dict[str, Any]:
        """The learned prefill speed and copy bandwidths, and the park/discard decisions taken."""
        return self._loop.kv_cost.stats() if self._loop else {}

    def set_swap_dir(self, path: str | None) -> None:
        """Spill saved KV states to files under ``path`` when host memory for them is short."""
        self.kv_swap_dir = str(path) if path else None
        store = self._loop.kv_store if self._loop else None
        if store is not None:
            store.set_disk_dir(self.kv_swap_dir)

    def kv_store_stats(self) -> dict[str, Any]:
        """Saves, restores, spills to disk and bytes held by the store of preempted sequences' KV."""
        store = self._loop.kv_store if self._loop else None
        if store is None:
            return {"saves": 0, "restores": 0, "bytes": 0, "entries": 0, "spills": 0, "disk_restores": 0,
                    "disk_bytes": 0, "dropped": 0, "lost": 0, "peak_bytes": 0, "peak_disk_bytes": 0,
                    "budget": 0, "disk_budget": 0}
        return store.stats()

    def stats(self) -> EngineStats:
        s = self._stats
        loop = self._loop
        s.busy_slots = loop.slots.busy() if loop else 0
        s.queued = loop.queued() if loop else 0
        return EngineStats(**{f: getattr(s, f) for f in s.__struct_fields__})
