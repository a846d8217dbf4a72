"""The decode thread: continuous batching of every running sequence plus bounded prefill chunks."""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from .base import EngineError, EngineStats, FinishReason, GenResult, Token
from .llama_follow import OwnerHistory
from .llama_handle import Done, ThreadedGeneration, deliver
from .llama_kvcost import KVCost
from .llama_kvstore import KVStore
from .llama_native import NativeModel
from .llama_sampling import SamplerChain
from .llama_seq import Seq
from .llama_slots import SlotTable


class DecodeLoop:
    """Owns the context after ``start``: only its thread touches the KV cache, batch and samplers.

    Every llama.cpp compute call, the warm-up included, runs on this one thread.  The CPU backend
    parallelises with OpenMP, which keeps a thread team per calling thread; once libgomp manages
    more threads than there are CPUs it stops spinning at barriers and sleeps on a futex instead,
    dozens of times per decode.  A warm-up on another thread was enough to make every step about
    10% slower (measured: ~40 context switches per step instead of none).
    """

    def __init__(self, native: NativeModel, stats: EngineStats, *, n_slots: int, prefill_chunk: int,
                 kv_store_bytes: int = 0, kv_swap_dir: str | None = None, kv_swap_bytes: int = 4 << 30,
                 share_prefixes: bool = True):
        self.nm, self.C, self.stats = native, native.C, stats
        self.kv_cost = KVCost()
        self.kv_store = (KVStore(native.C, native.ctx, native.mem, kv_store_bytes, disk_dir=kv_swap_dir,
                                 disk_budget=kv_swap_bytes, cost=self.kv_cost)
                         if kv_store_bytes > 0 or kv_swap_dir else None)
        self.history = OwnerHistory()  # to count re-prefills of KV kept for its owner
        self._owner_news: list[tuple[str, float | None]] = []  # (owner, expected idle s, or None: gone)
        self.slots = SlotTable(native.C, native.mem, n_slots, self.kv_store, share_prefixes=share_prefixes)
        self.prefill_chunk = max(1, prefill_chunk)
        self.n_batch = native.n_batch
        self.batch = self.C.llama_batch_init(self.n_batch, 0, 1)
        self._seq_ptrs = [self.batch.seq_id[i] for i in range(self.n_batch)]
        for i in range(self.n_batch):
            self.batch.n_seq_id[i] = 1
        self._cv = threading.Condition()
        self._inbox: list[Seq] = []
        self._wakeups = 0
        self._stopping = False
        self.queue: deque[Seq] = deque()
        self.active: list[Seq] = []
        self._events: list[tuple[ThreadedGeneration, Token | Done]] = []
        self._ready = threading.Event()
        self._start_error: EngineError | None = None
        self.thread = threading.Thread(target=self._run, name="llmos-llama-decode", daemon=True)

    # -- called from the event loop ----------------------------------------------------------------
    def submit(self, seq: Seq) -> None:
        with self._cv:
            self._inbox.append(seq)
            self._cv.notify()

    def owner_news(self, key: str, idle_s: float | None) -> None:
        """Owner ``key`` paused for about ``idle_s`` seconds, or (None) has gone; applied by the thread."""
        with self._cv:
            self._owner_news.append((key, idle_s))
            self._wakeups += 1
            self._cv.notify()

    def poke(self) -> None:
        with self._cv:
            self._wakeups += 1
            self._cv.notify()

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()

    def queued(self) -> int:
        return len(self.queue) + len(self._inbox)

    def wait_ready(self) -> EngineError | None:
        """Block until the thread has warmed the model up; the error if that failed (the thread has ended)."""
        self._ready.wait()
        return self._start_error

    # -- the thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.nm.warm_up()
        except EngineError as exc:
            self._start_error = exc
        except Exception as exc:  # noqa: BLE001 - reported to ``start``, which raises it
            self._start_error = EngineError(f"warm-up failed: {exc!r}", code="unavailable")
        self._ready.set()
        if self._start_error is not None:
            return
        while True:
            with self._cv:
                while not (self._stopping or self._inbox or self._wakeups or self.active or self.queue):
                    self._cv.wait()
                if self._stopping:
                    break
                self.queue.extend(self._inbox)
                self._inbox.clear()
                self._wakeups = 0
                news, self._owner_news = self._owner_news, []
            try:
                self._apply_owner_news(news)
                self._reap_cancelled()
                self._admit()
                if self.active:
                    self._step()
            except Exception as exc:  # noqa: BLE001 - a bug, not a model error: fail what ran, keep serving
                self.slots.copies.clear()
                for seq in list(self.active):
                    if seq.slot is not None:
                        self.slots.clear(seq.slot)
                    self._finish(seq, "error", f"decode loop failed: {exc!r}")
            self._flush()
        with self._cv:
            self.queue.extend(self._inbox)
            self._inbox.clear()
        for seq in list(self.active) + list(self.queue):
            self._finish(seq, "error", "engine closed", retryable=True)
        self.queue.clear()
        self._flush()

    def _flush(self) -> None:
        if not self._events:
            return
        by_waker: dict[int, tuple[Any, list[Any]]] = {}
        for gen, item in self._events:
            by_waker.setdefault(id(gen.waker), (gen.waker, []))[1].append((gen, item))
        self._events = []
        for waker, items in by_waker.values():
            waker(deliver, items)

    def _apply_owner_news(self, news: list[tuple[str, float | None]]) -> None:
        now = time.monotonic()
        for key, idle_s in news:
            if idle_s is None:
                self.slots.forget(key)
                self.history.forget(key)
            else:
                self.slots.hint(key, now + idle_s)

    def _reap_cancelled(self) -> None:
        for seq in [s for s in self.queue if s.gen.cancel_reason]:
            self.queue.remove(seq)
            self._finish(seq, seq.gen.cancel_reason or "cancelled")
        for seq in [s for s in self.active if s.gen.cancel_reason]:
            self._finish(seq, seq.gen.cancel_reason or "cancelled")

    def _admit(self) -> None:
        held: list[Seq] = []
        while self.queue and self.slots.free():
            seq = self.queue.popleft()
            if self._sibling_prefilling(seq):
                held.append(seq)
                continue
            req = seq.req
            if len(seq.tokens) >= req.max_tokens:
                self._finish(seq, "length")
                continue
            if not seq.context:
                self._finish(seq, "error", "empty prompt", code="invalid")
                continue
            if len(seq.context) >= self.nm.n_ctx_seq:
                self._finish(seq, "error", f"prompt of {len(seq.context)} tokens does not fit the "
                             f"{self.nm.n_ctx_seq}-token sequence context", code="context_overflow")
                continue
            bad = [t for t in seq.context if not self.nm.valid_token(t)]
            if bad:
                self._finish(seq, "error", f"invalid token id {bad[0]}", code="invalid")
                continue
            try:
                seq.sampler = SamplerChain(self.C, self.nm.vocab, self.nm.n_vocab, req)
                for tok in seq.tokens:
                    seq.sampler.accept(tok)
            except EngineError as exc:
                self._finish(seq, "error", str(exc), code=exc.code)
                continue
            except Exception as exc:  # noqa: BLE001 - llama.cpp raises on tokens the grammar refuses
                self._finish(seq, "error", f"cannot replay generated tokens: {exc}", code="invalid")
                continue
            slot, keep = self.slots.claim(seq, seq.context, req.key)
            seq.slot, seq.cached, seq.n_past = slot, keep, keep
            seq.todo = seq.context[keep:]
            st = self.stats
            st.tokens_cached += keep
            if req.generated and keep < len(seq.context) - 1:  # a resumed sequence whose KV is gone
                st.reprefills += 1
                st.reprefill_tokens += len(seq.context) - 1 - keep
            elif req.generated:
                st.resumes += 1
            else:
                st.prompt_tokens_sent += len(seq.context)
                self.history.count(st, req.key, seq.context, keep)
            self.active.append(seq)
        self.queue.extendleft(reversed(held))

    def _sibling_prefilling(self, seq: Seq) -> bool:
        """Whether ``seq`` should wait a step for a running sequence still prefilling its prefix."""
        if seq.req.generated:  # a resumed sequence restores its own KV
            return False
        running = [(o.slot, o.context) for o in self.active if o.todo and o.slot is not None]
        return self.slots.prefix_in_flight(seq.context, running)

    def _step(self) -> None:
        C, batch, ptrs = self.C, self.batch, self._seq_ptrs
        tok_arr, pos_arr, logit_arr = batch.token, batch.pos, batch.logits
        rows: list[tuple[Seq, int]] = []
        chunks: list[tuple[Seq, list[int]]] = []
        n = 0
        for seq in self.active:
            if seq.next_tok is not None:
                tok_arr[n] = seq.next_tok
                pos_arr[n] = seq.n_past
                ptrs[n][0] = seq.held.seq_id
                logit_arr[n] = 1
                rows.append((seq, n))
                n += 1
        decoding = n
        for seq in self.active:
            budget = self.n_batch - n
            if budget <= 0:
                break
            if seq.next_tok is None and seq.todo:
                chunk = seq.todo[:min(budget, self.prefill_chunk)]
                sid, pos = seq.held.seq_id, seq.n_past
                for j, tok in enumerate(chunk):
                    tok_arr[n] = tok
                    pos_arr[n] = pos + j
                    ptrs[n][0] = sid
                    logit_arr[n] = 0
                    n += 1
                if len(chunk) == len(seq.todo):
                    logit_arr[n - 1] = 1
                    rows.append((seq, n - 1))
                chunks.append((seq, chunk))
        if n == 0:
            return
        batch.n_tokens = n
        copied = self.slots.flush_copies()
        t0 = time.perf_counter()
        rc = C.llama_decode(self.nm.ctx, batch)
        if chunks:
            self.kv_cost.note_prefill(n - decoding, time.perf_counter() - t0)
        if rc != 0:
            involved = {id(s): s for s, _ in rows} | {id(s): s for s, _ in chunks}
            for slot in self.slots.slots:
                if slot.seq_id in copied and slot.owner is not None and id(slot.owner) not in involved:
                    involved[id(slot.owner)] = slot.owner
            for seq in involved.values():
                if seq.slot is not None:
                    self.slots.clear(seq.slot)
                self._finish(seq, "error", f"llama_decode returned {rc}", retryable=rc in (1, 2))
            return
        st = self.stats
        st.prefix_copies, st.prefix_copied_tokens = self.slots.prefix_copies, self.slots.prefix_tokens
        nseq = decoding + len(chunks)
        st.decode_steps += 1
        st.max_batch_seqs = max(st.max_batch_seqs, nseq)
        if nseq > 1:
            st.multi_seq_steps += 1
        for seq, chunk in chunks:
            seq.held.tokens.extend(chunk)
            seq.n_past += len(chunk)
            seq.prefilled += len(chunk)
            st.tokens_prefilled += len(chunk)
            del seq.todo[:len(chunk)]
        for seq, _ in rows:
            if seq.next_tok is not None:
                seq.held.tokens.append(seq.next_tok)
                seq.n_past += 1
                seq.next_tok = None
        for seq, row in rows:
            self._sampled(seq, seq.chain.sample(self.nm.ctx, row))

    def _sampled(self, seq: Seq, tok: int) -> None:
        if self.nm.is_eog(tok):
            self._finish(seq, "stop")
            return
        if not seq.t_first:
            seq.t_first = time.perf_counter()
        seq.tokens.append(tok)
        self.stats.tokens_generated += 1
        out, stopped = seq.text.push(tok, self.nm.piece(tok))
        gen = seq.gen
        for t in out:
            self._events.append((gen, t))
        if stopped:
            seq.stop_hit = True
            self._finish(seq, "stop")
        elif len(seq.tokens) >= seq.req.max_tokens or seq.n_past + 1 >= self.nm.n_ctx_seq:
            self._finish(seq, "length")
        else:
            seq.next_tok = tok

    def _finish(self, seq: Seq, reason: FinishReason, error: str = "", *, code: str | None = None,
                retryable: bool = False) -> None:
        if seq in self.active:
            self.active.remove(seq)
        if seq.slot is not None:
            key = seq.req.key
            follow = bool(seq.req.keep_kv and key) and reason in ("stop", "length")  # it will be back
            self.slots.release(seq.slot, parked=reason == "preempted" or follow, key=key)
            if follow:
                self.history.kept(key, seq.slot.tokens)
            seq.slot = None
        if seq.sampler is not None:
            seq.sampler.close()
            seq.sampler = None
        if reason != "error" and not seq.stop_hit:
            for t in seq.text.flush():
                self._events.append((seq.gen, t))
        st = self.stats
        if reason in ("cancelled", "preempted"):
            st.cancelled += 1
        if reason == "error":
            st.errors += 1
        tokens = seq.tokens[:len(seq.req.generated)] + seq.text.released_tokens
        now = time.perf_counter()
        result = GenResult(
            text=seq.text.text if reason != "error" else "", prompt=seq.prompt, tokens=tokens,
            finish_reason=reason, prompt_tokens=seq.prefilled, cached_tokens=seq.cached,
            ttft_s=(seq.t_first - seq.t_submit) if seq.t_first else 0.0, duration_s=now - seq.t_submit,
            error=error)
        exc = EngineError(error, code=code, retryable=retryable) if reason == "error" else None
        self._events.append((seq.gen, Done(result, exc)))

    def close(self) -> None:
        """Free the batch and the swapped states; call after the thread has ended."""
        if self.kv_store is not None:
            self.kv_store.close()
        if self.batch is not None:
            self.C.llama_batch_free(self.batch)
            self.batch = None
