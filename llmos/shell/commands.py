"""What each shell command does: job control on top of the kernel client."""
from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

from ..approvals import approval_line, render_approval
from ..channels import RemoteChannel
from ..client import KernelError, NotRunning
from ..fgview import Foreground
from ..format import duration, event_line, outcome, ps_table
from ..person import footer
from ..textsafe import printable
from .jobs import Job
from .parse import COMMANDS, Line, help_text

if TYPE_CHECKING:
    from .repl import Shell

SIGNALS = {"TERM", "KILL", "STOP", "CONT"}
ASSISTANT = "assistant"


class Usage(Exception):
    """Bad arguments: the message names the command's usage."""


class Commands:
    def __init__(self, shell: Shell):
        self.sh = shell
        self.client = shell.client
        self.jobs = shell.jobs

    def on_signal(self, sig: int) -> None:
        """SIGINT and SIGTSTP between prompts must not stop the shell itself; a foreground job's view
        (llmos/fgview.py) reads Ctrl-C and Ctrl-Z as keys."""

    async def dispatch(self, line: Line) -> None:
        try:
            await getattr(self, f"do_{line.cmd}")(line)
        except Usage as exc:
            self.sh.say(f"llmos: {exc} (usage: {COMMANDS[line.cmd].split('  ')[0].strip()})")

    # -- running ---------------------------------------------------------------------------------
    async def do_run(self, line: Line) -> None:
        if len(line.args) < 2:
            raise Usage("run needs an app and a task")
        await self.start(line.args[0], " ".join(line.args[1:]), line.background)

    async def do_ask(self, line: Line) -> None:
        await self.start(ASSISTANT, line.args[0], line.background)

    async def start(self, app: str, task: str, background: bool) -> None:
        pid = await self.client.spawn(app, task)
        job = self.jobs.add(pid, app, task)
        if background:
            self.sh.say(f"[{job.n}] {pid}")
            self.watch(job)
        else:
            await self.foreground(job)

    def watch(self, job: Job) -> None:
        """A background job: say when it ends, above the prompt."""
        async def waiter() -> None:
            try:
                info = await self.client.wait(job.pid)
            except (KernelError, NotRunning):
                return
            self.finish(job, info, background=True)
        job.waiter = asyncio.get_running_loop().create_task(waiter())

    def finish(self, job: Job, info, background: bool) -> None:
        job.state = "Done" if info.exit_reason == "exited" else info.exit_reason.capitalize()
        self.jobs.remove(job)
        if background:
            self.sh.say(f"[{job.n}]  {job.state:<10} {job.pid:>5}  {job.app} {printable(job.task[:40])}")
        if info.exit_reason == "exited":
            self.sh.say(printable(info.result, newlines=True) if info.result is not None else "")
            return
        self.sh.say(f"llmos: {outcome(info)}")  # the reason and the error, in one line
        if info.result:
            self.sh.say(printable(info.result, newlines=True))

    async def foreground(self, job: Job) -> None:
        """Wait for ``job`` in the foreground view (llmos/fgview.py): a status line, its questions and
        approvals asked inline; Ctrl-C sends TERM (a second one KILL), Ctrl-Z sends STOP and returns."""
        view = Foreground(RemoteChannel(self.client), job.pid, self.sh.say, session=self.sh.job_session())
        out = await self._view(view)
        self.sh.typeahead += out.typeahead
        if out.stopped:
            job.state = "Stopped"
            self.sh.say(f"[{job.n}]+ Stopped    {job.pid:>5}  {job.app} {printable(job.task[:40])}")
            return
        self.finish(job, out.info, background=False)
        self.sh.say(footer(out.seconds))

    async def _view(self, view: Foreground):
        self.sh.foreground = view.follow.pids  # the notices above the prompt leave these to the view
        try:
            return await view.run()
        finally:
            self.sh.foreground = set()

    def _job(self, spec: str | None) -> Job:
        job = self.jobs.find(spec)
        if job is None:
            raise Usage(f"no such job: {spec}" if spec else "no current job")
        return job

    async def do_jobs(self, line: Line) -> None:
        current = self.jobs.current()
        if not len(self.jobs):
            self.sh.say("no jobs")
        for j in self.jobs:
            self.sh.say(j.line(j is current))

    async def do_fg(self, line: Line) -> None:
        job = self._job(line.args[0] if line.args else None)
        if job.waiter is not None:
            job.waiter.cancel()
            job.waiter = None
        if job.state == "Stopped":
            await self.client.kill(job.pid, "CONT")
        job.state = "Running"
        self.sh.say(f"{job.app} {job.task[:60]}")
        await self.foreground(job)

    async def do_bg(self, line: Line) -> None:
        job = self._job(line.args[0] if line.args else None)
        if job.state != "Stopped":
            self.sh.say(f"llmos: job {job.n} is already running in the background")
            return
        await self.client.kill(job.pid, "CONT")
        job.state = "Running"
        self.sh.say(f"[{job.n}]+ {job.app} {job.task[:40]} &")
        self.watch(job)

    # -- looking and signalling ------------------------------------------------------------------
    def _pid(self, word: str) -> int:
        if word.startswith("%"):
            return self._job(word).pid
        try:
            return int(word)
        except ValueError:
            raise Usage(f"not a pid or %job: {word}") from None

    async def do_kill(self, line: Line) -> None:
        sig, targets = "TERM", []
        for a in line.args:
            name = a[1:].upper().removeprefix("SIG") if a.startswith("-") else ""
            name = {"9": "KILL", "15": "TERM"}.get(name, name)
            if name in SIGNALS:
                sig = name
            elif a.startswith("-") and not a[1:].isdigit():
                raise Usage(f"unknown signal {a}; use -TERM, -KILL, -STOP or -CONT")
            else:
                targets.append(self._pid(a))
        if not targets:
            raise Usage("kill needs a pid or %job")
        for pid in targets:
            try:
                await self.client.kill(pid, sig)
                job = self.jobs.by_pid(pid)
                if job is not None and sig in ("STOP", "CONT"):
                    job.state = "Stopped" if sig == "STOP" else "Running"
                if job is not None and sig != "STOP" and (job.waiter is None or job.waiter.done()):
                    self.watch(job)  # a stopped job that is killed or resumed: say when it ends
            except KernelError as exc:
                self.sh.say(f"llmos: kill {pid}: {exc.message}")

    async def do_ps(self, line: Line) -> None:
        self.sh.say(ps_table(await self.client.ps(all="-a" in line.args)))

    async def do_wait(self, line: Line) -> None:
        if not line.args:
            raise Usage("wait needs a pid or %job")
        pid = self._pid(line.args[0])
        job = self.jobs.by_pid(pid)
        if job is not None:
            if job.waiter is not None:
                job.waiter.cancel()
                job.waiter = None
            await self.foreground(job)
            return
        info = await self.client.wait(pid)
        self.sh.say(printable(info.result or "", newlines=True) if info.exit_reason == "exited"
                    else f"llmos: {outcome(info)}")

    async def do_logs(self, line: Line) -> None:
        if not line.args:
            raise Usage("logs needs a pid or %job")
        for ev in await self.client.logs(self._pid(line.args[0])):
            self.sh.say(event_line(ev))

    async def do_apps(self, line: Line) -> None:
        for a in await self.client.apps():
            self.sh.say(f"{a.name:<14} {a.version:<8} {a.description}")

    async def do_status(self, line: Line) -> None:
        st = await self.client.status()
        self.sh.say(f"kernel pid {st.pid}, up {duration(st.uptime)}, model {st.model or 'embedded'}, "
                    f"slots {st.slots_busy}/{st.slots_total}, queue {st.queued}, {st.procs} processes")

    async def do_top(self, line: Line) -> None:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "llmos.top",
                                                    env=_env(self.sh.home))
        await proc.wait()

    # -- approvals -------------------------------------------------------------------------------
    async def do_approvals(self, line: Line) -> None:
        if line.args[:1] == ["show"]:
            if len(line.args) != 2:
                raise Usage("approvals show needs one approval id")
            self.sh.say(render_approval(await self.client.approval(line.args[1], full=True), full=True))
            return
        if line.args:
            raise Usage("approvals takes no arguments, or `show ID`")
        pending = await self.client.approvals()
        if not pending:
            self.sh.say("no approvals pending")
        for a in pending:
            self.sh.say(approval_line(a))

    async def do_approve(self, line: Line) -> None:
        if len(line.args) != 1:
            raise Usage("approve needs one approval id")
        await self.client.approve(line.args[0])
        self.sh.say(f"approved {line.args[0]}")

    async def do_deny(self, line: Line) -> None:
        if not line.args:
            raise Usage("deny needs an approval id")
        await self.client.deny(line.args[0], " ".join(line.args[1:]))
        self.sh.say(f"denied {line.args[0]}")

    async def do_mem(self, line: Line) -> None:
        from ..commands import mem
        try:
            req = mem.request_of(line.args)
        except ValueError as exc:  # its message already holds the usage: say it once
            self.sh.say(f"llmos: {exc}")
            return
        for text in mem.render(req, await mem.call(self.client, req)):
            self.sh.say(text)

    async def do_answer(self, line: Line) -> None:
        if len(line.args) < 2:
            raise Usage("answer needs a question id and the answer")
        await self.client.answer(line.args[0], " ".join(line.args[1:]))
        self.sh.say(f"answered {line.args[0]}")

    async def do_attach(self, line: Line) -> None:
        """Follow a process this shell did not start (or a background job): see it, answer its questions."""
        if len(line.args) != 1:
            raise Usage("attach needs a pid or %job")
        pid = self._pid(line.args[0])
        job = self.jobs.by_pid(pid)
        if job is not None:
            await self.do_fg(line)
            return
        view = Foreground(RemoteChannel(self.client), pid, self.sh.say, session=self.sh.job_session(), suspend="")
        out = await self._view(view)
        self.sh.typeahead += out.typeahead
        if out.stopped:
            self.sh.say(f"detached from {pid}; it keeps running")
        else:
            self.sh.say(printable(out.info.result or "", newlines=True) if out.info.exit_reason == "exited"
                        else f"llmos: {outcome(out.info)}")

    async def do_history(self, line: Line) -> None:
        words = self.sh.session.history.get_strings()
        n = int(line.args[0]) if line.args and line.args[0].isdigit() else 20
        start = max(0, len(words) - n)
        for i, text in enumerate(words[start:], start + 1):
            self.sh.say(f"{i:>5}  {printable(text)}")

    async def do_clear(self, line: Line) -> None:
        from prompt_toolkit.shortcuts import clear
        clear()

    async def do_help(self, line: Line) -> None:
        self.sh.say(help_text(line.args[0] if line.args else None))


def _env(home) -> dict[str, str]:
    import os
    from pathlib import Path
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "LLMOS_HOME": str(home),
            "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
