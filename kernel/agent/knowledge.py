"""A general question answered in plain chat: free text under the system prompt alone.

The action schema and the tool examples before a task are what a tool-using step needs; for a
question the model answers from what it knows they are noise a small model copies: under them
SmolLM2-135M answered "Which animal says moo?" with "Moo: you prefer moo." (the shape of the
manifest's last example), and in plain chat with "... says moo is the cow".  Once the route by
likelihood (kernel/agent/route.py) finds no tool likelier than "a general question", the answer
is drafted here, unless the task is about the user: it speaks in the first person, or memory holds
something that bears on it.  Those are the loop's (recalled facts are followed from its examples);
in plain chat the model answered "What is my dog's name?" with "I'm sorry for your loss"."""
from __future__ import annotations

import re

from apps.manifest import Agent
from kernel.agent.ctx import Conversation
from syscalls import Sys
from syscalls.errors import SyscallError

SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
FIRST_PERSON = re.compile(r"\b(I|me|my|mine|myself|we|us|our|ours)\b|\bI['’](m|ve|d|ll)\b", re.IGNORECASE)
RECALL_MIN = 0.3  # cosine similarity: as the kernel's page fault (kernel/memory/config.py recall_threshold)


async def about_user(sys: Sys, task: str) -> bool:
    """The task speaks of the user, or memory holds something that bears on it."""
    if FIRST_PERSON.search(task):
        return True
    try:
        return bool(await sys.mem.recall(task[:600], k=1, min_score=RECALL_MIN))
    except SyscallError:  # no memory, or none this app may read: nothing of the user's bears on it
        return False


async def chat_answer(sys: Sys, spec: Agent, task: str, *, context: bool) -> str:
    """The model's plain answer to ``task``; a reply cut at the length limit ends at its last whole sentence.
    Empty when the model said nothing (the caller then runs the usual loop)."""
    messages = [{"role": "system", "content": spec.system_prompt.strip()}, {"role": "user", "content": task}]
    reply = await Conversation(sys, messages, context=context).chat(max_tokens=spec.max_tokens_per_step)
    text = reply.text.strip()
    if reply.finish_reason == "length":
        text = whole_sentences(text)
    return text


def whole_sentences(text: str) -> str:
    """``text`` up to its last sentence end, when it has one; else as it is."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    return text[:ends[-1]] if ends else text
