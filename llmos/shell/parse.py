"""Turn a line typed at the shell into a command and its arguments, or a task for the assistant."""
from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass

COMMANDS = {
    "run": "run APP TASK [&]     run an app; `&` at the end runs it in the background",
    "jobs": "jobs                 list this shell's jobs",
    "fg": "fg [%N|PID]          bring a job to the foreground (resumes it if stopped)",
    "bg": "bg [%N|PID]          resume a stopped job in the background",
    "ps": "ps [-a]              list the kernel's processes",
    "kill": "kill [-TERM|-KILL|-STOP|-CONT] PID|%N...   signal processes (TERM by default)",
    "wait": "wait PID|%N          wait for a process and print its result",
    "logs": "logs PID|%N          show a process's events",
    "top": "top                  the live process viewer (q to come back)",
    "apps": "apps                 list the apps you can run",
    "approvals": "approvals [show ID]  list actions waiting for your approval; `show ID`: one, every argument whole",
    "approve": "approve ID           allow a pending action",
    "deny": "deny ID [REASON]     refuse a pending action (or answer no to a question)",
    "answer": "answer ID TEXT       answer a process's question (`approvals` lists them)",
    "attach": "attach PID|%N        follow a process: its status, questions and result (Ctrl-Z leaves it running)",
    "status": "status               the kernel's state",
    "mem": "mem store|search|list|forget ...   long-term memory (e.g. mem store I prefer aisle seats --kind preference)",
    "history": "history [N]          the last N lines typed (20 by default)",
    "clear": "clear                clear the screen",
    "help": "help [CMD]           this list, or one command's usage",
    "exit": "exit                 leave the shell (processes keep running in the kernel)",
}
ALIASES = {"quit": "exit", "?": "help"}


@dataclass
class Line:
    cmd: str  # a command name, "ask" for a plain sentence, or "" for an empty line
    args: list[str]
    background: bool = False
    text: str = ""


class ParseError(ValueError):
    """A one-line message and a hint."""

    def __init__(self, message: str, hint: str = "type `help` for the commands"):
        super().__init__(message)
        self.hint = hint


def parse(text: str) -> Line:
    text = text.strip()
    if not text:
        return Line("", [])
    background = False
    if text.endswith("&") and not text.endswith("&&"):
        background, text = True, text[:-1].rstrip()
    first = text.split(None, 1)[0]
    word = ALIASES.get(first.lower(), first.lower())
    if word in COMMANDS:
        try:
            args = shlex.split(text)[1:]
        except ValueError as exc:
            raise ParseError(f"cannot parse that line: {exc}", "close the quote, or escape it with \\") from None
        return Line(word, args, background, text)
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.75)
    words = text.split()
    if len(words) == 1 and not text.endswith("?"):
        hint = f"did you mean `{close[0]}`?" if close else "type `help` for the commands, or write a sentence for the assistant"
        raise ParseError(f"unknown command: {first}", hint)
    if close and len(words) <= 3 and all(w.isdigit() or w.startswith(("%", "-")) for w in words[1:]):
        raise ParseError(f"unknown command: {first}", f"did you mean `{close[0]}`?")
    return Line("ask", [text], background, text)


def help_text(cmd: str | None = None) -> str:
    if cmd:
        name = ALIASES.get(cmd.lower(), cmd.lower())
        if name not in COMMANDS:
            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            return f"llmos: no command {cmd!r}" + (f"; did you mean `{close[0]}`?" if close else "; `help` lists them")
        return COMMANDS[name]
    lines = ["commands:"] + [f"  {v}" for v in COMMANDS.values()]
    lines += ["", "anything else you type is a task for the assistant app, e.g.  what is 17 * 23?",
              "keys: Ctrl-C stops the foreground process (twice: kill), Ctrl-Z suspends it, Ctrl-D leaves",
              "      (with jobs still running, press it twice); a job's questions are asked inline: y, n, d(etails);",
              "      end a line with \\ or press Esc Enter for another line"]
    return "\n".join(lines)
