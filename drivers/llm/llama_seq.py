"""One request's life in the decode thread: its prompt, tokens, slot, sampler and text so far."""
from __future__ import annotations

from .base import GenRequest
from .llama_handle import ThreadedGeneration
from .llama_sampling import SamplerChain
from .llama_slots import Slot
from .llama_text import TextStream


class Seq:
    """One request's life in the decode thread."""

    def __init__(self, gen: ThreadedGeneration, req: GenRequest, prompt: list[int], t_submit: float):
        self.gen, self.req, self.prompt = gen, req, prompt
        self.tokens: list[int] = list(req.generated)  # every generated token, replayed ones first
        self.context = prompt + self.tokens  # what the KV must hold before the next sample
        self.t_submit, self.t_first = t_submit, 0.0
        self.slot: Slot | None = None
        self.sampler: SamplerChain | None = None
        self.text = TextStream(req.stop)
        self.todo: list[int] = []  # context tokens still to prefill
        self.next_tok: int | None = None  # sampled, streamed, not yet in the KV
        self.n_past = 0
        self.cached = 0
        self.prefilled = 0
        self.stop_hit = False  # ended on one of ``req.stop``

    @property
    def held(self) -> Slot:
        """The slot of an admitted sequence: the loop puts a sequence in ``active`` only with one."""
        if self.slot is None:
            raise RuntimeError("a sequence in the batch has no KV slot")
        return self.slot

    @property
    def chain(self) -> SamplerChain:
        """The sampler of an admitted sequence (set with its slot)."""
        if self.sampler is None:
            raise RuntimeError("a sequence in the batch has no sampler")
        return self.sampler
