"""Per-sequence sampler chains (greedy or top-k/top-p/temperature) with an optional GBNF/JSON-schema grammar."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from .base import EngineError, GenRequest


@lru_cache(maxsize=64)
def _schema_to_gbnf(schema_json: str) -> str:
    from llama_cpp.llama_grammar import json_schema_to_gbnf
    return json_schema_to_gbnf(schema_json)


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
    """Owns one ``llama_sampler`` chain; ``sample`` picks and accepts a token from one batch output row."""

    def __init__(self, C: Any, vocab: Any, n_vocab: int, req: GenRequest):
        self.C = C
        self.ptr = None
        s = req.sampling
        grammar = grammar_for(req)
        params = C.llama_sampler_chain_default_params()
        params.no_perf = True
        chain = C.llama_sampler_chain_init(params)
        if not chain:
            raise EngineError("could not create a sampler chain")
        self.ptr = chain
        if grammar:
            g = C.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
            if not g:
                self.close()
                raise EngineError("invalid GBNF grammar", code="invalid")
            C.llama_sampler_chain_add(chain, g)
        if s.repeat_penalty and s.repeat_penalty != 1.0:
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

    def accept(self, tok: int) -> None:
        """Advance grammar and penalty state past ``tok`` (used to replay already generated tokens)."""
        self.C.llama_sampler_accept(self.ptr, tok)

    def sample(self, ctx: Any, row: int) -> int:
        return self.C.llama_sampler_sample(self.ptr, ctx, row)

    def close(self) -> None:
        if self.ptr:
            self.C.llama_sampler_free(self.ptr)
            self.ptr = None
