"""Scoring on llama.cpp: the log-likelihood of several continuations of one prompt in one batched pass.

A context of its own on the engine's model (weights shared, KV unified): the prompt is decoded once
with every candidate's sequence id on each of its tokens, then all candidates' tokens together,
each in its own sequence, with logits read only where a candidate's next token is predicted.

The prompt's KV stays in a sequence of its own (``CACHE``) between calls, so a call whose prompt
begins as the last one's did (pal's search: the same worked examples, batch after batch) decodes
only what is new; its candidates' sequences start as copies of that prefix."""
from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from .base import EngineError
from .llama_native import NativeModel
from .llama_slots import common_prefix

MAX_CANDIDATES = 32
CACHE = MAX_CANDIDATES  # the sequence that keeps the last prompt's KV


class Scorer:
    def __init__(self, native: NativeModel, *, n_ctx: int = 4096, n_batch: int = 512, n_threads: int = 2):
        C = self.C = native.C
        self.native = native
        params = C.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, n_batch, n_batch
        params.n_seq_max, params.kv_unified, params.no_perf = MAX_CANDIDATES + 1, True, True
        params.n_threads = params.n_threads_batch = n_threads
        self.ctx = C.llama_init_from_model(native.model, params)
        if not self.ctx:
            raise EngineError("could not create the scoring context", code="unavailable")
        self.mem = C.llama_get_memory(self.ctx)
        self.n_ctx, self.n_batch = C.llama_n_ctx(self.ctx), C.llama_n_batch(self.ctx)
        self.lock = threading.Lock()
        self.cached: list[int] = []  # the tokens whose KV the CACHE sequence holds
        self.reused = 0  # prompt tokens not decoded again, over all calls (a counter for tests and stats)

    def close(self) -> None:
        if self.ctx:
            self.C.llama_free(self.ctx)
            self.ctx = None

    def score(self, prompt: list[int], candidates: list[list[int]]) -> tuple[list[float], float]:
        """(sum of log-probabilities per candidate, seconds).  Runs on a worker thread."""
        if not prompt:
            raise EngineError("scoring needs a non-empty prompt", code="invalid")
        if not 1 <= len(candidates) <= MAX_CANDIDATES or any(not c for c in candidates):
            raise EngineError(f"scoring needs 1 to {MAX_CANDIDATES} non-empty candidates", code="invalid")
        need = len(prompt) + sum(len(c) for c in candidates)
        if need > self.n_ctx:
            raise EngineError(f"prompt and candidates need {need} tokens; the scoring context holds {self.n_ctx}",
                              code="invalid")
        t0 = time.perf_counter()
        with self.lock:
            if not self.ctx:
                raise EngineError("engine is closed", code="unavailable")
            try:
                try:
                    return self._score(prompt, candidates), time.perf_counter() - t0
                except EngineError:
                    if not self.cached:
                        raise
                    self.C.llama_memory_clear(self.mem, True)  # no room beside the kept prefix: once afresh
                    self.cached = []
                    return self._score(prompt, candidates), time.perf_counter() - t0
            except BaseException:
                self.C.llama_memory_clear(self.mem, True)  # whatever was half-written goes
                self.cached = []
                raise
            finally:
                for s in range(len(candidates)):
                    self.C.llama_memory_seq_rm(self.mem, s, -1, -1)

    def _score(self, prompt: list[int], candidates: list[list[int]]) -> list[float]:
        C, seqs = self.C, list(range(len(candidates)))
        # the prompt's prefix already in CACHE is shared, not decoded; its last token always is (its logits)
        keep = min(common_prefix(self.cached, prompt), len(prompt) - 1)
        C.llama_memory_seq_rm(self.mem, CACHE, keep, -1)
        self.cached = self.cached[:keep]
        if keep:
            for s in seqs:
                C.llama_memory_seq_cp(self.mem, CACHE, s, -1, -1)
        self.reused += keep
        # (token, pos, seq ids, targets): the rest of the prompt in all sequences and CACHE, then each
        # candidate; a target (s, t) adds log P(t) at this position to candidate s (only those rows get logits)
        shared = seqs + [CACHE]
        entries: list[tuple[int, int, list[int], list[tuple[int, int]]]] = [
            (t, p, shared, []) for p, t in enumerate(prompt) if p >= keep]
        entries[-1] = (prompt[-1], len(prompt) - 1, shared, [(s, c[0]) for s, c in enumerate(candidates)])
        for s, cand in enumerate(candidates):
            for j, t in enumerate(cand[:-1]):
                entries.append((t, len(prompt) + j, [s], [(s, cand[j + 1])]))
        totals = [0.0] * len(candidates)
        for start in range(0, len(entries), self.n_batch):
            self._decode(entries[start:start + self.n_batch], totals)
        self.cached = list(prompt)
        return totals

    def _decode(self, chunk: list[Any], totals: list[float]) -> None:
        C = self.C
        batch = C.llama_batch_init(len(chunk), 0, MAX_CANDIDATES + 1)
        try:
            for i, (tok, pos, ids, targets) in enumerate(chunk):
                batch.token[i], batch.pos[i], batch.n_seq_id[i] = tok, pos, len(ids)
                for k, sid in enumerate(ids):
                    batch.seq_id[i][k] = sid
                batch.logits[i] = bool(targets)
            batch.n_tokens = len(chunk)
            rc = C.llama_decode(self.ctx, batch)
            if rc != 0:
                raise EngineError(f"scoring decode failed ({rc})", code="engine", retryable=True)
            n_vocab = self.native.n_vocab
            for i, (_tok, _pos, _ids, targets) in enumerate(chunk):
                if not targets:
                    continue
                logits = np.ctypeslib.as_array(C.llama_get_logits_ith(self.ctx, i), shape=(n_vocab,)).astype(np.float64)
                top = logits.max()
                norm = top + np.log(np.exp(logits - top).sum())
                for s, t in targets:
                    totals[s] += float(logits[t] - norm)  # log-softmax at the target token
        finally:
            C.llama_batch_free(batch)
