"""The watchdog: catches a process that loops (same syscall, same LLM output) or makes no progress.

It watches every syscall from ``dispatch`` (``syscall_before`` and ``syscall_after``).  Three signs of a loop:

- the same syscall with the same arguments ``repeats`` times in a row;
- the same LLM output ``repeats`` times in a row, each time to a conversation that already shows the
  model saying it (an agent going round; a batch of independent questions answered alike is not a loop);
- ``steps`` syscalls in a row that brought nothing new (each the same answer to a question it had
  already asked, as in A, B, A, B, ...).

At the first sign it warns: an LLM request gets a warning page appended ("you repeated X three times;
change approach"), any other repeated call fails with a typed ``looping`` error instead of running.
If the process goes on for ``grace`` more calls without changing, the watchdog STOPs or KILLs it
(``action``); a kill ends it with exit reason ``looping``.  Every warning and stop is an event
(``watchdog.warn``, ``watchdog.stop``) with the evidence.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import anyio.lowlevel

from kernel.proc.process import Process
from kernel.seams import Instrument
from syscalls import llm
from syscalls.errors import SyscallError
from syscalls.llm import ChatMessage
from syscalls.table import encode

if TYPE_CHECKING:
    from kernel.kernel import Kernel

EXEMPT = {"proc.wait", "proc.recv", "proc.ps", "proc.exit", "user.ask", "user.confirm", "user.notify",
          "tool.list"}  # waiting and asking are not loops
LLM = {"llm.chat", "llm.complete", "llm.json"}


class Looping(SyscallError):
    """The watchdog refused a call the process keeps repeating; it should change approach."""

    code = "looping"


class _Track:
    __slots__ = (
        "call_runs",
        "echo",
        "evidence",
        "last_call",
        "last_out",
        "last_req",
        "out_runs",
        "seen",
        "since_warn",
        "stale",
        "warned",
    )

    def __init__(self) -> None:
        self.last_call, self.call_runs = "", 0
        self.last_out, self.out_runs = "", 0
        self.last_req, self.echo = "", False
        self.seen: set[bytes] = set()
        self.stale = 0
        self.warned = ""  # what the last warning was about ("" = none pending)
        self.since_warn = 0
        self.evidence = ""


def _shown(req: Any, text: str) -> bool:
    """Does ``req`` show the model ``text`` as something it said (an assistant turn, or in the prompt)?"""
    if isinstance(req, (llm.Chat, llm.Json)):
        return any(m.role == "assistant" and m.content.strip() == text.strip() for m in req.messages)
    return isinstance(req, llm.Complete) and text.strip() in req.prompt


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=12).digest()


class Watchdog(Instrument):
    """One per kernel, installed as an instrument.  ``action`` is ``"kill"`` or ``"stop"``."""

    def __init__(self, k: Kernel, *, repeats: int = 3, steps: int = 25, grace: int = 2, action: str = "kill"):
        if action not in ("kill", "stop"):
            raise ValueError(f"watchdog action must be 'kill' or 'stop', not {action!r}")
        self.k, self.repeats, self.steps, self.grace, self.action = k, repeats, steps, grace, action
        self._procs: dict[int, _Track] = {}
        self.warnings = self.stops = 0

    def forget(self, pid: int) -> None:
        self._procs.pop(pid, None)

    def _track(self, pid: int) -> _Track:
        t = self._procs.get(pid)
        if t is None:
            t = self._procs[pid] = _Track()
        return t

    # -- the two hooks dispatch calls ------------------------------------------------------------
    async def syscall_before(self, proc: Process, name: str, req: Any) -> None:
        """Count a repeated call; warn (raise ``Looping``, or add a warning page to an LLM request)."""
        if name in EXEMPT:
            return
        t = self._track(proc.pid)
        key = name + ":" + _digest(encode(req)).hex()
        t.last_req = key
        if name in LLM:  # is the model being shown its own last output again (a conversation going round)?
            t.echo = bool(t.last_out) and _shown(req, t.last_out)
        t.call_runs = t.call_runs + 1 if key == t.last_call else 1
        t.last_call = key
        if t.warned:
            t.since_warn += 1
            if t.since_warn > self.grace and self._still(t):
                await self._act(proc, t)
                return
            if not self._still(t):
                t.warned, t.since_warn = "", 0
        if t.call_runs >= self.repeats and not t.warned:
            from kernel.syscall.dispatch import summarize
            self._warn(proc, t, "call", f"you repeated {name} {summarize(req, 120)} {t.call_runs} times")
        if t.warned and name in LLM:
            if name == "llm.complete":
                req.prompt = f"{req.prompt}\n\n{self._page(t)}\n"
            else:
                req.messages.append(ChatMessage(role="user", content=self._page(t)))
        elif t.warned == "call" and t.call_runs >= self.repeats:
            raise Looping(f"watchdog: {t.evidence}; the call was not run again: change approach")

    def syscall_after(self, proc: Process, name: str, reply: Any) -> None:
        """Note what the reply brought: a repeated LLM output, or nothing new at all."""
        if name in EXEMPT:
            return
        t = self._track(proc.pid)
        if name in LLM:
            text = reply.text if isinstance(reply, (llm.Completion, llm.JsonReply)) else ""
            t.out_runs = t.out_runs + 1 if text == t.last_out and t.echo else 1
            t.last_out = text
            if t.out_runs >= self.repeats and not t.warned:
                self._warn(proc, t, "output", f"your model gave the same output {t.out_runs} times: {text[:120]!r}")
        h = _digest(t.last_req.encode() + encode(reply))  # the same answer to the same question
        if h in t.seen:
            t.stale += 1
        else:
            t.seen.add(h)
            t.stale = 0
        if self.steps and t.stale >= self.steps and not t.warned:
            self._warn(proc, t, "progress", f"your last {t.stale} calls brought nothing new")

    # -- escalation ----------------------------------------------------------------------------------
    def _still(self, t: _Track) -> bool:
        if t.warned == "call":
            return t.call_runs >= self.repeats
        if t.warned == "output":
            return t.out_runs >= self.repeats
        return t.stale >= self.steps

    def _page(self, t: _Track) -> str:
        return (f"Watchdog warning: {t.evidence}. Repeating it will not help; change approach "
                f"(another tool, other arguments, or give your answer now).")

    def _warn(self, proc: Process, t: _Track, what: str, evidence: str) -> None:
        t.warned, t.since_warn, t.evidence = what, 0, evidence
        self.warnings += 1
        self.k.events.emit("watchdog.warn", proc.pid, sign=what, evidence=evidence)

    async def _act(self, proc: Process, t: _Track) -> None:
        self.stops += 1
        self.k.events.emit("watchdog.stop", proc.pid, sign=t.warned, evidence=t.evidence, action=self.action)
        t.warned, t.since_warn = "", 0
        if self.action == "stop":
            self.k.signal(proc.pid, "STOP")
            await self.k.wait_while_stopped(proc)
            t.call_runs = t.out_runs = t.stale = 0  # a person let it go on: start counting afresh
            return
        self.k._kill(proc, "looping")
        await anyio.lowlevel.checkpoint()  # the cancel lands here, inside the process's task


async def attach(k: Kernel, stack: Any) -> None:
    """The ``watchdog`` boot step: one watchdog for every process, set from the kernel's configuration."""
    c = k.config
    wd = Watchdog(k, repeats=c.watchdog_repeats, steps=c.watchdog_steps, grace=c.watchdog_grace,
                  action=c.watchdog_action)
    k.watchdog = wd
    k.instruments.append(wd)

    async def forget(proc: Process) -> None:
        wd.forget(proc.pid)
    k.hooks.exit.append(forget)
    stack.callback(lambda: k.instruments.remove(wd) if wd in k.instruments else None)
