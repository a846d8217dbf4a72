"""Whether llama.cpp's real grammar sampler accepts a text: the JSON schema converted the way the engine does it,
then every token of the text offered to the sampler, then end-of-generation (accepted only when the grammar is done)."""
from __future__ import annotations

import ctypes
import json
from functools import lru_cache
from typing import Any

from drivers.llm.base import GenRequest
from drivers.llm.llama_sampling import grammar_for


@lru_cache(maxsize=1)
def _vocab_model() -> Any:
    """The embedded model's vocabulary only (no weights: loads in well under a second)."""
    from llama_cpp import Llama

    from drivers.llm import default_model_path
    return Llama(model_path=default_model_path(), vocab_only=True, verbose=False)


def accepts(schema: dict, value: Any) -> bool:
    import llama_cpp as C

    llm = _vocab_model()
    grammar = grammar_for(GenRequest(json_schema=schema))
    g = C.llama_sampler_init_grammar(llm._model.vocab, grammar.encode("utf-8"), b"root")
    assert g, "llama.cpp could not parse the grammar"
    try:
        one = C.llama_token_data(0, 0.0, 0.0)
        arr = C.llama_token_data_array(ctypes.pointer(one), 1, -1, False)
        toks = llm.tokenize(json.dumps(value).encode("utf-8"), add_bos=False, special=False)
        for i, tok in enumerate([*toks, llm.token_eos()]):
            one.id, one.logit, one.p = tok, 1.0, 0.0
            arr.selected, arr.sorted, arr.size = -1, False, 1
            C.llama_sampler_apply(g, ctypes.byref(arr))
            if one.logit == float("-inf"):
                return False
            if i < len(toks):
                C.llama_sampler_accept(g, tok)
        return True
    finally:
        C.llama_sampler_free(g)
