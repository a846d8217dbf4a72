"""A process in the foreground: a live status line, its questions and approvals asked inline, Ctrl-C/Ctrl-Z.

Used by the shell for a foreground job, by ``llmos run`` on a terminal and by ``llmos attach``.  It
is one prompt_toolkit prompt whose message is the status line (pid, state, current syscall, tokens,
elapsed) and under it the question waiting for the person (``[y/n/d]`` for an approval or a
confirmation, free text for a question).
Lines typed while nothing is asked are kept and handed back (the shell runs them next, as a Unix
shell runs type-ahead).
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from prompt_toolkit import PromptSession
from prompt_toolkit.key_binding import KeyBindings

from . import person
from .client import KernelError

_DONE, _INT, _TSTP, _EOF = object(), object(), object(), object()
KEYS = "Ctrl-C stop · Ctrl-Z suspend"


@dataclass
class Outcome:
    info: Any = None  # the ProcInfo when it ended, None when suspended (Ctrl-Z) or detached
    stopped: bool = False
    typeahead: list[str] = field(default_factory=list)  # lines typed meanwhile; "\x04" for a Ctrl-D
    seconds: float = 0.0


def _keys() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("c-c")
    def _int(event) -> None:
        event.app.exit(result=_INT)

    @kb.add("c-z")
    def _tstp(event) -> None:
        event.app.exit(result=_TSTP)

    @kb.add("c-d")
    def _eof(event) -> None:
        if event.current_buffer.text:
            event.current_buffer.delete()
        else:
            event.app.exit(result=_EOF)
    return kb


def _question(p: person.Pending | None) -> str:
    if p is None:
        return ""
    if p.kind == "ask":
        return f"\n{p.title()}\nanswer> "
    return f"\n{p.prompt()}\n{'confirm' if p.kind == 'confirm' else 'approve'}? [y/n/d] "


class Foreground:
    """Run the view for ``pid`` until it ends, is suspended, or ``detach`` (Ctrl-Z) says so."""

    def __init__(self, channel: person.Channel, pid: int, say: Callable[[str], None], *,
                 session: PromptSession | None = None, suspend: str | None = "STOP"):
        self.channel, self.pid, self.say = channel, pid, say
        self.follow = person.Follow(channel, pid)
        # Ctrl-Z: "STOP" (a shell job), "" (attach, a daemon's `llmos run`: leave it running), None (refused)
        self.suspend = suspend
        self.session = session or PromptSession(erase_when_done=True)
        self._done: Any = None
        self._interrupts = 0
        self._shown: person.Pending | None = None  # the question on screen when Enter was pressed

    def _current(self) -> person.Pending | None:
        return next(iter(self.follow.pending.values()), None)

    def _message(self) -> str:
        """The status line (a toolbar would need the terminal's cursor reports), then any question."""
        self._shown = self._current()
        return f"[{self.follow.status()} · {KEYS}]" + _question(self._shown)

    def _wake(self) -> None:
        app = self.session.app
        if app.is_running:
            app.invalidate()

    async def _announce(self, p: person.Pending) -> None:
        self._wake()

    async def _wait(self) -> None:
        try:
            self._done = await self.channel.wait(self.pid)
        except KernelError as exc:
            self._done = exc
        if self.session.app.is_running:
            self.session.app.exit(result=_DONE)

    def _ended_meanwhile(self) -> None:
        """The process may end between the check and the prompt starting: leave at once then."""
        if self._done is not None:
            self.session.app.exit(result=_DONE)

    async def run(self) -> Outcome:
        out, t0 = Outcome(), time.monotonic()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(person.pump, self.channel, self.follow, self._announce)
                tg.start_soon(person.ticker, self.follow)
                tg.start_soon(self._wait)
                try:
                    while self._done is None:
                        await self._turn(out)
                        if out.stopped:
                            break
                finally:
                    tg.cancel_scope.cancel()
        except* KernelError as group:  # the kernel went away under the view: one line for the shell, no traceback
            raise group.exceptions[0] from None
        out.seconds = time.monotonic() - t0
        if isinstance(self._done, KernelError):
            raise self._done
        out.info = self._done
        return out

    async def _turn(self, out: Outcome) -> None:
        try:
            text = await self.session.prompt_async(self._message, key_bindings=_keys(), refresh_interval=0.5,
                                                   multiline=False, completer=None, auto_suggest=None,
                                                   pre_run=self._ended_meanwhile)
        except KeyboardInterrupt:
            text = _INT
        except EOFError:
            text = _EOF
        q = self._shown
        if text is _DONE or self._done is not None and not isinstance(text, str):
            return
        if text is _INT:
            await self._interrupt()
        elif text is _TSTP:
            await self._stop(out)
        elif text is _EOF:
            out.typeahead.append("\x04")
        elif q is None or q.id not in self.follow.pending:
            if text.strip():
                out.typeahead.append(text)
        else:
            await self._reply(q, text)

    async def _reply(self, q: person.Pending, text: str) -> None:
        word = text.strip().lower()
        if q.kind != "ask" and word in ("d", "details"):
            self.say(q.details())
            return
        if q.kind != "ask" and word not in ("y", "yes", "n", "no"):
            self.say("llmos: answer y (yes), n (no) or d (details)")
            return
        try:
            self.say(await self.follow.decide(q, text))
        except KernelError as exc:
            self.follow.pending.pop(q.id, None)
            self.say(f"llmos: {exc.message}")

    async def _interrupt(self) -> None:
        self._interrupts += 1
        sig = "TERM" if self._interrupts == 1 else "KILL"
        with contextlib.suppress(KernelError):
            await self.channel.kill(self.pid, sig)
            self.say(f"^C sent {sig} to {self.pid}" + (" (Ctrl-C again to kill it now)" if sig == "TERM" else ""))

    async def _stop(self, out: Outcome) -> None:
        if self.suspend is None:
            self.say("llmos: this run's kernel lives in this command, so it cannot be left running; "
                     "Ctrl-C stops it (`llmos boot` first to run processes you can leave)")
            return
        if self.suspend:
            with contextlib.suppress(KernelError):
                await self.channel.kill(self.pid, self.suspend)
        out.stopped = True
