"""The llmos shell: a prompt_toolkit REPL on the kernel daemon, with job control."""
from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.patch_stdout import patch_stdout

from .. import daemonctl
from ..client import Client, KernelError, NotRunning
from ..textsafe import printable
from . import notices
from .commands import Commands
from .completer import ShellCompleter
from .jobs import JobTable
from .parse import ParseError, parse

PROMPT = "llmos> "


def _keys() -> KeyBindings:
    kb = KeyBindings()

    @kb.add("escape", "enter")
    def _newline(event) -> None:  # Esc Enter (or Alt-Enter): another line
        event.current_buffer.insert_text("\n")

    @kb.add("c-z")
    def _suspend(event) -> None:  # nothing to suspend at the prompt (and no ^Z in the line)
        event.app.output.bell()

    @kb.add("enter")
    def _enter(event) -> None:  # a trailing backslash continues on the next line
        buf = event.current_buffer
        if buf.text.endswith("\\"):
            buf.delete_before_cursor(1)
            buf.insert_text("\n")
        else:
            buf.validate_and_handle()
    return kb


class Shell:
    def __init__(self, home: Path | None = None, *, session: PromptSession | None = None, out=None):
        self.home = daemonctl.home_of(home)
        self.client = Client(self.home)
        self.jobs = JobTable()
        self._out = out  # None: whatever sys.stdout is when printing (patch_stdout's proxy at the prompt)
        self.typeahead: list[str] = []  # lines typed while a foreground job ran; they run next
        self.foreground: set[int] = set()  # the foreground job's pids: its questions are asked inline
        self._apps: list[str] = []
        self._pids: list[str] = []
        self.session = session or PromptSession(
            history=FileHistory(str(self.home / "shell_history")),
            completer=ShellCompleter(lambda: self._apps, self._pid_words),
            complete_while_typing=False, multiline=True, key_bindings=_keys(),
            prompt_continuation=lambda width, n, soft: "." * (width - 1) + " ")
        self.commands = Commands(self)

    @property
    def out(self):
        return self._out or sys.stdout

    def say(self, text: str) -> None:
        """Everything the shell prints passes here: results, tasks and events are untrusted text, so
        control and bidi characters are escaped (line breaks and tabs kept)."""
        print(printable(text, newlines=True), file=self.out, flush=True)

    def job_session(self) -> PromptSession:
        """A prompt of its own for a foreground job's view, on the shell's terminal."""
        return PromptSession(input=self.session.input, output=self.session.output, erase_when_done=True)

    def _pid_words(self) -> list[str]:
        return self._pids + [f"%{j.n}" for j in self.jobs]

    async def ensure_kernel(self) -> None:
        """Use the daemon of this home; boot one (and say so) when none runs."""
        if daemonctl.is_running(self.home) is None:
            self.say("llmos: no kernel was running; booting one ...")
            pid, _ = await asyncio.to_thread(daemonctl.boot, self.home)
            self.say(f"llmos: kernel booted (pid {pid})")
        await self.refresh()

    async def refresh(self) -> None:
        """What completion offers: app names and live pids, learned between prompts."""
        try:
            self._apps = [a.name for a in await self.client.apps()]
            self._pids = [str(p.pid) for p in await self.client.ps() if p.state not in ("EXITED", "KILLED")]
        except (KernelError, NotRunning):
            pass

    async def run(self) -> int:
        self.home.mkdir(parents=True, exist_ok=True)
        self.own_signals()
        try:
            await self.ensure_kernel()
        except (daemonctl.BootError, KernelError) as exc:
            self.say(f"llmos: cannot start the kernel: {exc}")
            return 1
        self.say("llmos shell — type `help` for commands, or just say what you want done. Ctrl-D leaves.")
        self.watcher = asyncio.get_running_loop().create_task(
            notices.watch(self.client, self.say, lambda: self.foreground))
        warned = False
        with patch_stdout(raw=True):
            while True:
                try:
                    text = await self.next_line()
                except KeyboardInterrupt:
                    continue
                except EOFError:
                    live = [j for j in self.jobs if j.state in ("Running", "Stopped")]
                    if live and not warned:
                        warned = True
                        self.say(f"llmos: {len(live)} job(s) still running (`jobs` lists them); "
                                 "press Ctrl-D again to leave them running and exit")
                        continue
                    break
                warned = False
                if not await self.execute(text):
                    break
                await self.refresh()
        await self.leave()
        return 0

    async def next_line(self) -> str:
        """The next line: type-ahead from a foreground job first, then the prompt."""
        if self.typeahead:
            text = self.typeahead.pop(0)
            if text == "\x04":
                raise EOFError
            self.say(f"{PROMPT}{text}")
            return text
        return await self.session.prompt_async(PROMPT)

    def own_signals(self) -> None:
        """Outside the prompt, Ctrl-C and Ctrl-Z are for the foreground job (the prompt swaps its own in)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTSTP):
            loop.add_signal_handler(sig, self.commands.on_signal, sig)

    async def execute(self, text: str) -> bool:
        """Run one line; False when the shell should exit."""
        self.own_signals()
        try:
            line = parse(text)
        except ParseError as exc:
            self.say(f"llmos: {exc} ({exc.hint})")
            return True
        if not line.cmd:
            return True
        if line.cmd == "exit":
            return False
        try:
            await self.commands.dispatch(line)
        except NotRunning as exc:
            self.say(f"llmos: {exc.message}")
            try:
                await self.ensure_kernel()
            except Exception as boot_exc:
                self.say(f"llmos: cannot restart the kernel: {boot_exc}")
        except KernelError as exc:
            self.say(f"llmos: {exc.message}")
        return True

    async def leave(self) -> None:
        if getattr(self, "watcher", None) is not None:
            self.watcher.cancel()
        live = [j for j in self.jobs if j.state in ("Running", "Stopped")]
        if live:
            self.say(f"llmos: {len(live)} job(s) keep running in the kernel; `llmos ps` lists them")
        for j in self.jobs:
            if j.waiter is not None:
                j.waiter.cancel()
        await self.client.aclose()


def main(home: Path | None = None) -> int:
    return asyncio.run(Shell(home).run())
