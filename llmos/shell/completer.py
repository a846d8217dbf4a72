"""Completion for the shell: command names, app names after ``run``, pids and jobs after ``kill``/``fg``/..."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from .parse import COMMANDS

TAKES_PID = {"kill", "fg", "bg", "wait", "logs"}
SIGNAL_FLAGS = ["-TERM", "-KILL", "-STOP", "-CONT"]


class ShellCompleter(Completer):
    """``apps()`` and ``pids()`` return what the shell last learned from the kernel (no I/O here)."""

    def __init__(self, apps: Callable[[], Iterable[str]], pids: Callable[[], Iterable[str]]):
        self.apps, self.pids = apps, pids

    def get_completions(self, document: Document, event: CompleteEvent):
        before = document.text_before_cursor
        words = before.split()
        if not words or (len(words) == 1 and not before.endswith(" ")):
            prefix = words[0] if words else ""
            for name in COMMANDS:
                if name.startswith(prefix):
                    yield Completion(name, -len(prefix), display_meta=COMMANDS[name].split("  ")[-1].strip())
            return
        cmd = words[0]
        prefix = "" if before.endswith(" ") else words[-1]
        position = len(words) - (0 if before.endswith(" ") else 1)
        if cmd == "run" and position == 1:
            options: Iterable[str] = self.apps()
        elif cmd in TAKES_PID:
            options = list(self.pids()) + (SIGNAL_FLAGS if cmd == "kill" else [])
        else:
            return
        for opt in options:
            if opt.startswith(prefix):
                yield Completion(opt, -len(prefix))
