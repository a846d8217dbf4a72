"""Own one llama.cpp model and context through the C API: load, tokenize, pieces, chat template, free."""
from __future__ import annotations

import ctypes
import threading
from typing import Any

from .base import EngineError, Message

_init_lock = threading.Lock()
_C: Any = None


def lib(verbose: bool = False) -> Any:
    """The ``llama_cpp.llama_cpp`` ctypes module, with the backend initialised once per process."""
    global _C
    with _init_lock:
        if _C is None:
            try:
                import llama_cpp.llama_cpp as C
                from llama_cpp import _logger
            except Exception as exc:  # ImportError, or OSError from a broken shared library
                raise EngineError(f"llama-cpp-python is not usable: {exc}", code="unavailable") from exc
            _logger.set_verbose(verbose)
            C.llama_backend_init()
            _C = C
        return _C


class NativeModel:
    """A model and a context with ``n_seq_max`` sequences; every method but decode-side ones is thread-safe."""

    def __init__(self, path: str, *, n_ctx: int, n_seq_max: int, n_batch: int, n_threads: int,
                 kv_unified: bool = False, verbose: bool = False, n_gpu_layers: int = 0):
        C = self.C = lib(verbose)
        self.path = path
        mparams = C.llama_model_default_params()
        mparams.n_gpu_layers = n_gpu_layers  # -1: all layers, on a CUDA/Metal build; a CPU build ignores it
        if hasattr(mparams, "use_extra_bufts"):
            mparams.use_extra_bufts = False  # no AMX/repacked extra buffer types (crash on this CPU family)
        self.model = C.llama_model_load_from_file(path.encode(), mparams)
        if not self.model:
            raise EngineError(f"could not load model {path!r}", code="unavailable")
        self.ctx = None
        try:
            self.vocab = C.llama_model_get_vocab(self.model)
            cparams = C.llama_context_default_params()
            cparams.n_ctx = n_ctx
            cparams.n_batch = n_batch
            cparams.n_ubatch = n_batch
            cparams.n_seq_max = n_seq_max
            cparams.n_threads = n_threads
            cparams.n_threads_batch = n_threads
            cparams.kv_unified = kv_unified
            cparams.no_perf = True
            self.ctx = C.llama_init_from_model(self.model, cparams)
            if not self.ctx:
                raise EngineError(f"could not create a context (n_ctx={n_ctx}, n_seq_max={n_seq_max})",
                                  code="unavailable")
            self.mem = C.llama_get_memory(self.ctx)
            self.n_ctx = C.llama_n_ctx(self.ctx)
            self.n_ctx_seq = C.llama_n_ctx_seq(self.ctx)
            self.n_batch = C.llama_n_batch(self.ctx)
            self.n_vocab = int(C.llama_vocab_n_tokens(self.vocab))
            self.add_bos = bool(C.llama_vocab_get_add_bos(self.vocab))
            self.bos = C.llama_vocab_bos(self.vocab)
            self.eos = C.llama_vocab_eos(self.vocab)
        except BaseException:
            self.close()
            raise
        self._pieces: dict[int, bytes] = {}
        self._formatter: Any = None
        self._eog: dict[int, bool] = {}

    # -- vocabulary ------------------------------------------------------------------------------
    def tokenize(self, text: str, *, add_special: bool = False, parse_special: bool = False) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 8
        buf = (self.C.llama_token * cap)()
        n = self.C.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, parse_special)
        if n < 0:
            cap = -n
            buf = (self.C.llama_token * cap)()
            n = self.C.llama_tokenize(self.vocab, data, len(data), buf, cap, add_special, parse_special)
        if n < 0:
            raise EngineError("tokenization failed", code="invalid")
        return list(buf[:n])

    def piece(self, tok: int) -> bytes:
        """The bytes of one token (special tokens rendered), cached."""
        got = self._pieces.get(tok)
        if got is None:
            buf = ctypes.create_string_buffer(64)
            n = self.C.llama_token_to_piece(self.vocab, tok, buf, 64, 0, True)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = self.C.llama_token_to_piece(self.vocab, tok, buf, -n, 0, True)
            got = buf.raw[:max(n, 0)]
            self._pieces[tok] = got
        return got

    def detokenize(self, tokens: list[int]) -> str:
        return b"".join(self.piece(t) for t in tokens).decode("utf-8", errors="replace")

    def is_eog(self, tok: int) -> bool:
        got = self._eog.get(tok)
        if got is None:
            got = self._eog[tok] = bool(self.C.llama_vocab_is_eog(self.vocab, tok))
        return got

    def valid_token(self, tok: int) -> bool:
        return 0 <= tok < self.n_vocab

    # -- metadata and chat template --------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(4096)
        n = self.C.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        if n < 0:
            return None
        if n >= len(buf):
            buf = ctypes.create_string_buffer(n + 1)
            self.C.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace")

    def name(self) -> str:
        return self.meta("general.name") or self.path.rsplit("/", 1)[-1]

    def chat_prompt(self, messages: list[Message]) -> str:
        """Render ``messages`` with the model's own Jinja chat template, assistant turn opened."""
        if self._formatter is None:
            template = self.C.llama_model_chat_template(self.model, None)
            if not template:
                raise EngineError("the model has no chat template; pass prompt tokens instead", code="invalid")
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            self._formatter = Jinja2ChatFormatter(
                template=template.decode("utf-8"),
                eos_token=self.piece(self.eos).decode("utf-8", "replace") if self.eos >= 0 else "",
                bos_token=self.piece(self.bos).decode("utf-8", "replace") if self.bos >= 0 else "",
                add_generation_prompt=True)
        msgs = [{"role": m.role, "content": m.content} for m in messages]
        try:
            return str(self._formatter(messages=msgs).prompt)
        except Exception as exc:
            raise EngineError(f"chat template failed: {exc}", code="invalid") from exc

    def apply_template(self, messages: list[Message]) -> list[int]:
        """The chat template's own markup is tokenized with its special tokens; what the messages
        say is tokenized as plain text, so a message that contains ``<|im_end|>`` cannot close
        its turn and forge another (a prompt-injection hole when tool or page text reaches a prompt)."""
        marks = [f"\ue000{i}\ue001" for i in range(len(messages))]  # private-use: no template alters them
        text = self.chat_prompt([Message(role=m.role, content=mk) for m, mk in zip(messages, marks)])
        bos_text = self.piece(self.bos).decode("utf-8", "replace") if self.bos >= 0 else ""
        add = self.add_bos and not (bos_text and text.startswith(bos_text))
        tokens: list[int] = []
        pos = 0
        for m, mk in zip(messages, marks):
            at = text.find(mk, pos)
            if at < 0:  # a template that rewrote the message: render it whole, its control markup defused
                return self._whole(messages, add)
            tokens += self.tokenize(text[pos:at], add_special=add and not tokens, parse_special=True)
            tokens += self.tokenize(m.content, parse_special=False)
            pos = at + len(mk)
        return tokens + self.tokenize(text[pos:], add_special=add and not tokens, parse_special=True)

    def _whole(self, messages: list[Message], add: bool) -> list[int]:
        safe = [Message(role=m.role, content=m.content.replace("<|", "<\u200b|")) for m in messages]
        return self.tokenize(self.chat_prompt(safe), add_special=add, parse_special=True)

    def warm_up(self) -> None:
        """Decode one token and forget it: pages the weights in and builds the compute graph,
        so the first real request does not pay for it."""
        C = self.C
        tok = max(self.bos, 0)
        arr = (C.llama_token * 1)(tok)
        batch = C.llama_batch_get_one(arr, 1)
        rc = C.llama_decode(self.ctx, batch)
        C.llama_memory_seq_rm(self.mem, -1, -1, -1)
        if rc != 0:
            raise EngineError(f"warm-up decode failed ({rc})", code="unavailable")

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        if self.ctx:
            self.C.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            self.C.llama_model_free(self.model)
            self.model = None
