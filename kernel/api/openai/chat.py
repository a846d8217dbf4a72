"""OpenAI chat and completion requests as ``llm.chat`` / ``llm.complete`` syscalls, and their replies as
OpenAI objects."""
from __future__ import annotations

import time
import uuid
from typing import Any

from kernel.api.openai.errors import bad_request
from kernel.api.openai.schemas import ChatRequest, CompletionRequest, Message
from kernel.api.openai.toolcalls import Outcome, Plan, render_call
from syscalls import llm
from syscalls.base import MAX_TEXT
from syscalls.tool import ToolResult

MAX_TOKENS = 32768  # the syscall's own bound
ROLES = {"developer": "system", "function": "tool"}


def max_tokens(req: ChatRequest | CompletionRequest, default: int) -> int:
    asked = (req.max_completion_tokens if isinstance(req, ChatRequest) else None) or req.max_tokens or default
    return min(asked, MAX_TOKENS)


def check_n(req: ChatRequest | CompletionRequest) -> None:
    if req.n not in (None, 1):
        raise bad_request("n must be 1: llmos returns one choice per request", "n")


def messages(req: ChatRequest, p: Plan) -> list[llm.ChatMessage]:
    out: list[llm.ChatMessage] = []
    for i, m in enumerate(req.messages):
        text = m.text()
        if m.role == "assistant" and m.tool_calls:
            calls = "\n".join(render_call(c.function.name, c.function.arguments) for c in m.tool_calls)
            text = (text + "\n" + calls).strip()
        if len(text) > MAX_TEXT:
            raise bad_request(f"messages[{i}].content is longer than {MAX_TEXT} characters", f"messages[{i}].content")
        out.append(llm.ChatMessage(role=ROLES.get(m.role, m.role), content=text))
    if p.prompt:
        if out and out[0].role == "system":
            out[0] = llm.ChatMessage(role="system", content=(out[0].content + "\n\n" + p.prompt).strip())
        else:
            out.insert(0, llm.ChatMessage(role="system", content=p.prompt))
    return out


def tool_results(req: ChatRequest) -> list[ToolResult]:
    """What the client's tools said since the model last spoke: untrusted text, as any tool's output."""
    last: list[Message] = []
    for m in reversed(req.messages):
        if m.role == "assistant":
            break
        if m.role in ("tool", "function"):
            last.append(m)
    return [ToolResult(name=m.name or "client_tool", output=m.text(), untrusted=True) for m in reversed(last)]


def sampling(req: ChatRequest | CompletionRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"stop": req.stops()}
    if req.temperature is not None:
        out["temperature"] = req.temperature
    if req.top_p is not None:
        out["top_p"] = req.top_p
    if req.seed is not None:
        out["seed"] = req.seed % 2**32
    return out


def chat_syscall(req: ChatRequest, p: Plan) -> llm.Chat:
    return llm.Chat(messages=messages(req, p), max_tokens=max_tokens(req, 256), schema=p.schema, **sampling(req))


def complete_syscall(req: CompletionRequest) -> llm.Complete:
    prompt = req.prompt if isinstance(req.prompt, str) else req.prompt[0]
    if len(prompt) > MAX_TEXT:
        raise bad_request(f"prompt is longer than {MAX_TEXT} characters", "prompt")
    return llm.Complete(prompt=prompt, max_tokens=max_tokens(req, 16), **sampling(req))


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def usage(reply: llm.Completion) -> dict[str, int]:
    return {"prompt_tokens": reply.tokens_in, "completion_tokens": reply.tokens_out,
            "total_tokens": reply.tokens_in + reply.tokens_out}


def chat_completion(model: str, reply: llm.Completion, out: Outcome) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": out.content, "refusal": None}
    if out.tool_calls:
        message["tool_calls"] = out.tool_calls
    return {"id": new_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": out.finish_reason}],
            "usage": usage(reply), "system_fingerprint": None}


def text_completion(model: str, reply: llm.Completion) -> dict[str, Any]:
    return {"id": new_id("cmpl"), "object": "text_completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "text": reply.text, "logprobs": None,
                         "finish_reason": "length" if reply.finish_reason == "length" else "stop"}],
            "usage": usage(reply)}
