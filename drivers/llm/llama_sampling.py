"""Per-sequence sampler chains (greedy or top-k/top-p/temperature) with an optional GBNF/JSON-schema grammar."""
from __future__ import annotations

import ctypes
import json
import re
from functools import lru_cache
from typing import Any

from .base import EngineError, GenRequest

# llama-cpp-python's converter lets a JSON string hold any character but `"` and `\`, raw newlines and
# other control characters included, which JSON forbids: the model wrote a raw "\n\n" inside a string
# and the reply did not parse.  llama.cpp's own converter excludes them, and so does this rule.
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_JSON_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


@lru_cache(maxsize=64)
def _schema_to_gbnf(schema_json: str) -> str:
    from llama_cpp import llama_grammar
    # its literals escape a double quote but not a backslash, so an enum or const string holding either (a
    # gloss that quotes its example: 'cattle: "`moo-cow\' ...') became a grammar llama.cpp could not parse, or
    # one that wrote invalid JSON; llama.cpp's own converter escapes both
    llama_grammar.GRAMMAR_LITERAL_ESCAPE_RE = re.compile(r'[\r\n"\\]')
    llama_grammar.GRAMMAR_LITERAL_ESCAPES = {**llama_grammar.GRAMMAR_LITERAL_ESCAPES, "\\": "\\\\"}
    return str(llama_grammar.json_schema_to_gbnf(schema_json)).replace(_LOOSE_CHAR, _JSON_CHAR)


def grammar_for(req: GenRequest) -> str | None:
    """The GBNF text constraining ``req``: its ``grammar``, or one converted from its ``json_schema``."""
    if req.grammar:
        return req.grammar
    if req.json_schema is not None:
        try:
            return _schema_to_gbnf(json.dumps(req.json_schema, sort_keys=True))
        except Exception as exc:
            raise EngineError(f"cannot convert the JSON schema to a grammar: {exc}", code="invalid") from exc
    return None


class SamplerChain:
    """Owns one ``llama_sampler`` chain and, apart from it, an optional grammar sampler.

    Grammar checks are done the way llama.cpp's own sampler does them: sample from the
    unconstrained chain, check just that token against the grammar, and only when it is
    rejected run the grammar over the whole vocabulary and sample again.  Checking all
    ~50k candidates every step would cost more than decoding a small model's token.
    """

    def __init__(self, C: Any, vocab: Any, n_vocab: int, req: GenRequest):
        self.C, self.n_vocab = C, n_vocab
        self.ptr = self.grammar = None
        s = req.sampling
        grammar = grammar_for(req)
        params = C.llama_sampler_chain_default_params()
        params.no_perf = True
        self.ptr = chain = C.llama_sampler_chain_init(params)
        if not chain:
            raise EngineError("could not create a sampler chain")
        if grammar:
            self.grammar = C.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
            if not self.grammar:
                self.close()
                raise EngineError("invalid GBNF grammar", code="invalid")
        self._stateful = bool(s.repeat_penalty and s.repeat_penalty != 1.0)
        if self._stateful:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_penalties(n_vocab, 64, s.repeat_penalty, 0.0, 0.0))
        if s.temperature <= 0.0:
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_greedy())
        else:
            if s.top_k > 0:
                C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_k(s.top_k))
            if 0.0 < s.top_p < 1.0:
                C.llama_sampler_chain_add(chain, C.llama_sampler_init_top_p(s.top_p, 1))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_temp(s.temperature))
            C.llama_sampler_chain_add(chain, C.llama_sampler_init_dist(s.seed & 0xFFFFFFFF))
        self._one = C.llama_token_data(0, 0.0, 0.0)
        self._one_arr = C.llama_token_data_array(ctypes.pointer(self._one), 1, -1, False)
        self._all: Any = None  # full-vocabulary candidate buffer, made on the first grammar rejection

    def accept(self, tok: int) -> None:
        """Advance grammar and penalty state past ``tok`` (used to replay already generated tokens)."""
        if self.grammar:
            self.C.llama_sampler_accept(self.grammar, tok)
        self.C.llama_sampler_accept(self.ptr, tok)

    def sample(self, ctx: Any, row: int) -> int:
        C = self.C
        if not self.grammar:
            return int(C.llama_sampler_sample(self.ptr, ctx, row))
        if not self._stateful:  # the chain's own accept is a no-op, so a rejected guess costs nothing
            tok = int(C.llama_sampler_sample(self.ptr, ctx, row))
            one = self._one
            one.id, one.logit, one.p = tok, 1.0, 0.0
            self._one_arr.selected, self._one_arr.sorted, self._one_arr.size = -1, False, 1
            C.llama_sampler_apply(self.grammar, ctypes.byref(self._one_arr))
            if one.logit != float("-inf"):
                C.llama_sampler_accept(self.grammar, tok)
                return tok
        return self._sample_constrained(ctx, row)

    def _sample_constrained(self, ctx: Any, row: int) -> int:
        import numpy as np

        C, n = self.C, self.n_vocab
        if self._all is None:
            self._all = (C.llama_token_data * n)()
            self._view = np.frombuffer(self._all, dtype=np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")]))
            self._ids = np.arange(n, dtype=np.int32)
        logits = np.ctypeslib.as_array(C.llama_get_logits_ith(ctx, row), shape=(n,))
        view = self._view
        view["id"] = self._ids
        view["logit"] = logits
        view["p"] = 0.0
        arr = C.llama_token_data_array(ctypes.cast(self._all, C.llama_token_data_p), n, -1, False)
        C.llama_sampler_apply(self.grammar, ctypes.byref(arr))
        C.llama_sampler_apply(self.ptr, ctypes.byref(arr))
        if not 0 <= arr.selected < arr.size:
            raise EngineError("the grammar allows no token here", code="invalid")
        tok = int(arr.data[arr.selected].id)
        C.llama_sampler_accept(self.grammar, tok)
        C.llama_sampler_accept(self.ptr, tok)
        return tok

    def close(self) -> None:
        if self.ptr:
            self.C.llama_sampler_free(self.ptr)
            self.ptr = None
        if self.grammar:
            self.C.llama_sampler_free(self.grammar)
            self.grammar = None
