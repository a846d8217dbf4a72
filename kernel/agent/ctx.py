"""The agent loop's conversation: held by the kernel in the process's context when it has a memory manager."""
from __future__ import annotations

from typing import Any, cast

from syscalls import Sys, llm
from syscalls.errors import Unavailable


class Conversation:
    """``messages`` as the loop sees them.  With ``context`` the loop sends only what is new
    (``llm.json(..., context=True)``): the kernel keeps the rest as pages, pages out what
    does not fit, recalls what the step needs, and adds the reply itself.  Without it (no
    memory manager) every step sends the whole list, as a plain chat would."""

    def __init__(self, sys: Sys, messages: list[dict[str, Any]], *, context: bool = False):
        self.sys, self.messages, self.context = sys, list(messages), context
        self.sent = 0  # messages[:sent] are already in the kernel's context

    def add(self, role: str, content: str) -> None:
        self.messages.append({"role": role, "content": content})

    def cut_off(self, note: str) -> None:
        """A reply stopped at the length limit.  Held by the kernel, the new messages and the cut reply
        are already pages, so the next step says only ``note``; held here, the cut reply was never
        added and the same messages are simply asked again."""
        if self.context:
            self.sent = len(self.messages)
            self.add("user", note)

    async def json(self, schema: dict[str, Any], *, max_tokens: int) -> Any:
        return await self._ask(lambda msgs, **kw: self.sys.llm.json(msgs, schema, max_tokens=max_tokens, **kw))

    async def chat(self, *, max_tokens: int) -> llm.Completion:
        """A free-text reply (kernel/agent/knowledge.py), held as the JSON steps are."""
        return cast(llm.Completion, await self._ask(lambda msgs, **kw: self.sys.llm.chat(msgs, max_tokens=max_tokens, **kw)))

    async def _ask(self, call: Any) -> Any:
        reply = None
        if self.context:
            new = self.messages[self.sent:] or [{"role": "user", "content": "Continue."}]
            try:
                reply = await call(new, context=True)
            except Unavailable:
                if self.sent:  # the context is gone midway: nothing sane to fall back to
                    raise
                self.context = False  # this process has no context: keep the conversation here
        if reply is None:
            reply = await call(self.messages)
        self.add("assistant", reply.text)
        self.sent = len(self.messages)
        return reply
