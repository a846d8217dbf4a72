"""``llmos run/ps/kill/wait/logs`` against the kernel daemon (``run`` falls back to an in-process kernel)."""
from __future__ import annotations

import argparse
import json
import sys

import anyio

from .. import daemonctl, daemonflags, notices, remote, runfollow
from ..channels import RemoteChannel
from ..client import Client, KernelError, NotRunning
from ..format import event_line, outcome, ps_table
from ..person import footer
from ..textsafe import printable

SIGNALS = ("TERM", "KILL", "STOP", "CONT")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ps", help="list processes")
    p.add_argument("-a", "--all", action="store_true", help="include processes already reaped")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the pids, one a line (for scripts)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="table (default) or json")
    p.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    p.set_defaults(func=ps)
    p = sub.add_parser("kill", help="send a signal (default TERM) to processes",
                       usage="llmos kill [-TERM|-KILL|-STOP|-CONT] PID...")
    p.add_argument("-s", "--signal", default="TERM", type=str.upper, choices=SIGNALS)
    p.add_argument("pids", nargs="+", type=int, metavar="PID")
    p.set_defaults(func=kill)
    p = sub.add_parser("wait", help="wait for a process to end and print its result")
    p.add_argument("pid", type=int)
    p.add_argument("--timeout", type=float, default=None)
    p.set_defaults(func=wait)
    p = sub.add_parser("logs", help="show a process's events")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing new events until it ends")
    p.add_argument("pid", type=int)
    p.set_defaults(func=logs)


def signal_argv(argv: list[str]) -> list[str]:
    """Let ``kill -KILL 3`` (and ``-9``/``-15``) mean ``kill -s KILL 3``, as in a Unix shell."""
    if len(argv) >= 2 and argv[0] == "kill":
        numbers = {"9": "KILL", "15": "TERM", "19": "STOP", "18": "CONT"}
        out = ["kill"]
        for a in argv[1:]:
            name = a[1:].upper().removeprefix("SIG") if a.startswith("-") else ""
            name = numbers.get(name, name)
            out += ["-s", name] if name in SIGNALS else [a]
        return out
    return argv


def _run(coro_fn, *args):
    try:
        return anyio.run(coro_fn, *args)
    except NotRunning as exc:
        print(f"llmos: {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None
    except KernelError as exc:
        print(f"llmos: {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None


def ps(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            return await c.ps(all=args.all)
    procs = _run(go)
    if args.quiet:
        for p in procs:
            print(p.pid)
    elif args.format == "json":
        import msgspec
        print(msgspec.json.encode(procs).decode())
    else:
        print(ps_table(procs))
    return 0


def kill(args: argparse.Namespace) -> int:
    async def go():
        failed = 0
        async with Client() as c:
            for pid in args.pids:
                try:
                    await c.kill(pid, args.signal)
                except KernelError as exc:
                    print(f"llmos: kill {pid}: {exc.message}", file=sys.stderr)
                    failed += 1
        return failed
    return 1 if _run(go) else 0


def wait(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            return await c.wait(args.pid, args.timeout)
    info = _run(go)
    return report(info)


def report(info) -> int:
    """Print a process's result: escaped on a terminal (it is untrusted text), as is into a pipe or
    file, as ``ls`` does with odd file names, so scripts get the exact bytes."""
    if info.exit_reason == "exited":
        result = info.result if info.result is not None else ""
        print(printable(result, newlines=True) if sys.stdout.isatty() else result)
        return info.exit_status or 0
    print(f"llmos: {outcome(info)}", file=sys.stderr)
    return info.exit_status or 1


def logs(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            if not args.follow:
                for ev in await c.logs(args.pid):
                    print(event_line(ev))
                return
            seen = 0
            async for msg in _follow(c, args.pid):
                if msg.event.get("seq", 0) > seen:
                    seen = msg.event.get("seq", 0)
                    print(event_line(msg.event), flush=True)
                if msg.event.get("kind") == "proc.exit":
                    return
    _run(go)
    return 0


async def _follow(c: Client, pid: int):
    """The events so far, then new ones live; the subscription opens first so nothing falls between."""
    from kernel.api import messages as m
    stream = c.subscribe(pid)
    await stream.__anext__()  # subscribed
    for ev in await c.logs(pid):
        yield m.Event(event=ev)
        if ev.get("kind") == "proc.exit":
            await stream.aclose()
            return
    async for msg in stream:
        if isinstance(msg, m.Event):
            yield msg


def run_on_daemon(args: argparse.Namespace) -> int:
    """``llmos run`` when a daemon runs: spawn there and follow it (llmos/runfollow.py) unless ``--detach``;
    Ctrl-C sends TERM.  Its person is whoever ran it: approvals and questions are asked here."""
    task = " ".join(args.task)
    tty = runfollow.interactive() and not getattr(args, "json", False)

    async def go():
        async with Client() as c:
            note = daemonflags.ignored(args, await c.status())
            if note:
                print(note, file=sys.stderr)
            pid = await c.spawn(args.app, task, budgets={"tokens": args.max_tokens} if args.max_tokens else None,
                                files=getattr(args, "files", None), engine=getattr(args, "engine", None) or "")
            if args.detach:
                print(pid)
                return None, 0.0
            try:
                info, seconds = await runfollow.follow(RemoteChannel(c), pid, tty=tty, remote=True)
                await _notes(c, pid)
                return info, seconds
            except BaseException:
                with anyio.CancelScope(shield=True):
                    try:
                        await c.kill(pid, "TERM")
                        print(f"\nllmos: sent TERM to pid {pid}", file=sys.stderr)
                    except Exception:
                        pass
                raise
    try:
        info, seconds = _run(go)
    except KeyboardInterrupt:
        return 130
    if info is None:
        return 0
    if getattr(args, "json", False):
        import msgspec
        print(json.dumps(msgspec.to_builtins(info), indent=2))
        return 0 if info.exit_reason == "exited" else 1
    status = report(info)
    if tty:
        print(footer(seconds), file=sys.stderr)
    return status


async def _notes(c: Client, pid: int) -> None:
    """Notices about the run its answer does not carry (a task cut to fit the context)."""
    try:
        events = await c.logs(pid)
    except KernelError:
        return
    for line in notices.cut_inputs(pid, events):
        print(line, file=sys.stderr)


def daemon_running() -> bool:
    """A kernel to run on: the one ``--kernel`` names (its connection says if it is there), or this home's."""
    return remote.target() is not None or daemonctl.is_running() is not None
