"""``llmos exec``: run a program llmos did not write as a process, with its own OpenAI API key.

With a daemon the kernel there runs it; without one an in-process kernel does (its API on a free
loopback port).  The program's output comes to this terminal as it is written, and its exit code
is this command's."""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import anyio

from .. import kflags
from ..client import Client, KernelError, NotRunning
from ..textsafe import printable

USAGE = ("llmos exec [--app NAME | --manifest PATH] [--name LABEL] [--priority N] [--budget KEY=VALUE ...] "
         "[--isolation host|container] -- CMD [ARGS...]")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("exec", help="run any program as an llmos process (it gets OPENAI_BASE_URL/OPENAI_API_KEY)",
                       usage=USAGE)
    who = p.add_mutually_exclusive_group()
    who.add_argument("--app", default="", help="run under this installed app's manifest")
    who.add_argument("--manifest", default="", help="run under the app.toml at PATH (a folder or the file)")
    p.add_argument("--name", default="", help="label shown in ps (default: the command line)")
    p.add_argument("--priority", type=int, default=None, choices=range(40), metavar="N", help="0 (urgent) to 39")
    p.add_argument("--budget", action="append", default=[], metavar="KEY=VALUE",
                   help="a budget, e.g. tokens=20000 or wall_seconds=60 (repeatable)")
    p.add_argument("--isolation", choices=["host", "container"], default="host")
    p.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- CMD [ARGS...]")
    p.set_defaults(func=main)


def budgets_of(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"llmos: --budget takes KEY=NUMBER, got {item!r}") from None
    return out


def request_of(args: argparse.Namespace) -> dict[str, Any]:
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        raise SystemExit(f"llmos: nothing to run\nusage: {USAGE}")
    return {"argv": argv, "app": args.app, "manifest": os.path.abspath(args.manifest) if args.manifest else "",
            "name": args.name, "priority": args.priority, "budgets": budgets_of(args.budget),
            "isolation": args.isolation, "cwd": os.getcwd(), "env": dict(os.environ)}


def show(ev: dict) -> int | None:
    """Print a program's output event; the exit status once the process has ended."""
    kind = ev.get("kind")
    if kind == "proc.output":
        out = sys.stderr if ev.get("stream") == "stderr" else sys.stdout
        print(printable(str(ev.get("text", "")), newlines=True), file=out, flush=True)
    elif kind == "proc.exit":
        status = ev.get("status")
        if ev.get("reason") != "exited":
            why = printable(str(ev.get("error") or ""))
            print(f"llmos: pid {ev.get('pid')} ended: {ev.get('reason')}" + (f" ({why})" if why else ""),
                  file=sys.stderr)
        return int(status) if isinstance(status, int) else 1
    return None


async def follow_daemon(req: dict[str, Any]) -> int:
    """Start the program in the daemon and print its output until it ends; Ctrl-C sends it TERM."""
    from kernel.api import messages as m
    async with Client() as c:
        started = await c.call(m.Exec(**req))
        pid = started["pid"]
        try:
            stream = c.subscribe(pid)
            await stream.__anext__()  # subscribed: nothing it prints from now on is missed
            seen = 0
            for ev in await c.logs(pid):  # what it printed before that
                seen = max(seen, ev.get("seq", 0))
                status = show(ev)
                if status is not None:
                    await stream.aclose()
                    return status
            async for msg in stream:
                if isinstance(msg, m.Event) and msg.event.get("seq", 0) > seen:
                    status = show(msg.event)
                    if status is not None:
                        await stream.aclose()
                        return status
        except BaseException:
            with anyio.CancelScope(shield=True):
                try:
                    await c.kill(pid, "TERM")
                    print(f"\nllmos: sent TERM to pid {pid}", file=sys.stderr)
                except Exception:  # noqa: BLE001 - it may have ended meanwhile
                    pass
            raise
    return 1


async def run_local(req: dict[str, Any]) -> int:
    """No daemon: an in-process kernel with its API on a free loopback port runs the program."""
    import msgspec

    from drivers.llm import EngineError
    from kernel import Kernel
    from kernel.proc.execprog import Program, spawn
    from kernel.settings import SettingsError, load
    from syscalls.errors import SyscallError

    from .. import runfollow
    from ..channels import LocalChannel
    print("llmos: no kernel daemon running; starting an in-process kernel", file=sys.stderr)
    try:
        cfg = msgspec.structs.replace(load().config, api_port=0, api_enabled=True, sandbox_pool=0)
    except SettingsError as exc:
        print(f"llmos: configuration error: {exc}", file=sys.stderr)
        return 2
    program = Program(argv=req["argv"], cwd=req["cwd"], env=req["env"], isolation=req["isolation"])
    try:
        async with Kernel(cfg, engine=kflags.engine_for(cfg), engines=kflags.engines_for(cfg)) as k:
            status: list[int] = []

            def on_event(ev: dict) -> None:
                if pid_box[0] and ev.get("pid") == pid_box[0]:
                    code = show(ev)
                    if code is not None:
                        status.append(code)

            pid_box = [0]
            unsubscribe = k.events.subscribe(on_event)
            try:
                pid_box[0] = await spawn(k, program, app=req["app"], manifest=req["manifest"], name=req["name"],
                                         priority=req["priority"], budgets=req["budgets"])
            except SyscallError as exc:
                print(f"llmos: {printable(exc.message)}", file=sys.stderr)
                return 1
            # its person is here: approvals and questions are asked on this terminal (refused without one)
            await runfollow.follow(LocalChannel(k), pid_box[0], tty=runfollow.interactive(), remote=False)
            unsubscribe()
            return status[0] if status else 1
    except EngineError as exc:
        print(f"llmos: cannot start the model: {exc}", file=sys.stderr)
        return 2


def main(args: argparse.Namespace) -> int:
    req = request_of(args)
    try:
        return anyio.run(follow_daemon, req)
    except NotRunning:
        pass
    except KernelError as exc:
        print(f"llmos: {printable(exc.message)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        return anyio.run(run_local, req)
    except KeyboardInterrupt:
        return 130

