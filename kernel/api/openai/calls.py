"""HTTP requests become their process's syscalls: one at a time per process, on the normal dispatch path,
and ended the moment the process is killed, breaches a budget or exits."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from kernel.api.openai.errors import ApiError, ended, from_syscall, unauthorized
from kernel.api.openai.keys import KeyTable
from kernel.proc import budget
from kernel.proc.process import Process
from kernel.sched.sysllm import TOKEN_SINK
from kernel.syscall.dispatch import dispatch
from syscalls import Reply, Request
from syscalls.errors import SyscallError

if TYPE_CHECKING:
    from kernel.kernel import Kernel

R = TypeVar("R", bound=Reply)

_ENDING = ("proc.exit", "proc.budget")


class Calls:
    """The key table and the in-flight calls of every process that has a key."""

    def __init__(self, kernel: Kernel, keys: KeyTable | None = None):
        self.k = kernel
        self.keys = keys or KeyTable()
        self._scopes: dict[int, set[anyio.CancelScope]] = {}
        self._locks: dict[int, anyio.Lock] = {}
        self.close = kernel.events.subscribe(self._on_event)

    def _on_event(self, ev: dict[str, Any]) -> None:
        kind, pid = ev.get("kind"), ev.get("pid", 0)
        if kind in _ENDING or (kind == "proc.signal" and ev.get("signal") == "KILL"):
            for scope in list(self._scopes.get(pid, ())):
                scope.cancel()  # the generation stops within one decode step; its slot is freed
        if kind == "proc.exit":
            self.keys.revoke(pid)
            self._locks.pop(pid, None)
            if not self._scopes.get(pid):
                self._scopes.pop(pid, None)

    def issue(self, pid: int) -> str:
        return self.keys.issue(pid)

    def process(self, authorization: str | None) -> Process:
        """The live process a ``Bearer`` key names, or a 401."""
        if not authorization:
            raise unauthorized("no API key: send 'Authorization: Bearer <key>' (llmos exec puts it in OPENAI_API_KEY)")
        scheme, _, key = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise unauthorized("the Authorization header must be 'Bearer <key>'")
        pid = self.keys.pid_of(key.strip())
        proc = self.k.ptable.live(pid) if pid is not None else None
        if proc is None or proc.kill_reason:
            raise unauthorized("unknown or revoked API key (its process may have ended)")
        return proc

    async def run(self, proc: Process, req: Request, sink: Callable[[str], None] | None = None) -> Reply:
        """``req`` as a syscall of ``proc``; its errors as ``ApiError``s with the right status."""
        scopes = self._scopes.setdefault(proc.pid, set())
        lock = self._locks.setdefault(proc.pid, anyio.Lock())
        reply: Reply | None = None
        with anyio.CancelScope() as scope:
            scopes.add(scope)
            try:
                async with lock:  # a process makes one syscall at a time; more requests wait their turn
                    if proc.kill_reason or not proc.alive:
                        raise ended(proc.pid, proc.kill_reason or proc.exit_reason)
                    token = TOKEN_SINK.set(sink)
                    try:
                        reply = await dispatch(self.k, proc, req)
                    finally:
                        TOKEN_SINK.reset(token)
            except SyscallError as exc:
                if proc.kill_reason:
                    raise self._ended(proc) from None
                raise from_syscall(exc) from None
            finally:
                scopes.discard(scope)
        if scope.cancelled_caught or proc.kill_reason or reply is None:
            raise self._ended(proc)
        return reply

    async def run_as(self, proc: Process, req: Request, expect: type[R]) -> R:
        """``run``, for a caller that reads the reply as the type its syscall answers (syscalls/table.py)."""
        reply = await self.run(proc, req)
        if not isinstance(reply, expect):  # the table pairs each request with one reply type
            raise ApiError(500, f"{type(req).__name__} answered {type(reply).__name__}, not {expect.__name__}",
                           "server_error")
        return reply

    def _ended(self, proc: Process) -> ApiError:
        reason = proc.kill_reason or proc.exit_reason or "killed"
        limit = budget.limits(proc).get(reason.split(":", 1)[1]) if reason.startswith("budget:") else None
        return ended(proc.pid, reason, limit)
