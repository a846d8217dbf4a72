"""The ``llm`` family: chat, complete, schema-constrained JSON, and scoring candidate continuations."""
from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .base import MAX_ITEMS, Reply, Request, Text

Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
MaxTokens = Annotated[int, msgspec.Meta(ge=1, le=32768)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]  # with temperature > 0: the same seed, the same sample
Role = Annotated[str, msgspec.Meta(pattern="^(system|user|assistant|tool)$")]
TopP = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]


class ChatMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: Role
    content: Text


Messages = Annotated[list[ChatMessage], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
Stops = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=64)]], msgspec.Meta(max_length=8)]


class Chat(Request, tag="llm.chat"):
    messages: Messages
    max_tokens: MaxTokens = 256
    temperature: Temperature = 0.0
    stop: Stops = []
    context: bool = False  # True: ``messages`` join the process's context and the model reads all of it
    seed: Seed = 0
    top_p: TopP = 0.95
    schema: dict[str, Any] | None = None  # decode under this JSON schema; the text is returned unparsed


class Complete(Request, tag="llm.complete"):
    prompt: Text
    max_tokens: MaxTokens = 256
    temperature: Temperature = 0.0
    stop: Stops = []
    seed: Seed = 0
    top_p: TopP = 0.95


class Json(Request, tag="llm.json"):
    messages: Messages
    schema: dict[str, Any]
    max_tokens: MaxTokens = 256
    temperature: Temperature = 0.0
    context: bool = False  # as for Chat
    seed: Seed = 0


Candidates = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]],
                      msgspec.Meta(min_length=1, max_length=32)]


class Score(Request, tag="llm.score"):
    """The log-likelihood of each candidate as the assistant's reply to ``messages``, in one batched
    pass: an app ranks candidate answers or programs by the model's own belief in them."""

    messages: Messages
    candidates: Candidates


class Completion(Reply):
    text: str
    finish_reason: str
    tokens_in: int
    tokens_out: int


class JsonReply(Reply):
    value: Any
    text: str
    tokens_in: int
    tokens_out: int


class ScoreReply(Reply):
    logprobs: list[float]  # per candidate: the sum of its tokens' log-probabilities (natural log)
    tokens: list[int]  # per candidate: its length in tokens (divide for a per-token mean)
    tokens_in: int


class Embed(Request, tag="llm.embed"):
    """Vectors for texts from the kernel's offline embedding model."""

    texts: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]


class Embeddings(Reply):
    vectors: list[list[float]]
    model: str
    tokens_in: int
