"""``llmos boot``, ``llmos halt`` and ``llmos status``: start, stop and inspect the kernel daemon."""
from __future__ import annotations

import argparse
import sys

import anyio

from kernel.reliability.recovery import boot_message

from .. import daemonctl, daemonflags, kflags
from ..client import Client, KernelError, NotRunning
from ..format import duration
from ..textsafe import printable


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boot", help="start the kernel daemon for this llmos home")
    kflags.add(p)
    p.set_defaults(func=boot)
    sub.add_parser("halt", help="kill every process and stop the kernel daemon").set_defaults(func=halt)
    sub.add_parser("status", help="say whether the kernel daemon runs, and how busy it is").set_defaults(func=status)


def boot(args: argparse.Namespace) -> int:
    try:
        pid, fresh = daemonctl.boot(model=args.model, slots=args.slots, policy=args.policy)
    except daemonctl.BootError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    home = daemonctl.home_of()
    if fresh:
        print(f"kernel booted (pid {pid}), listening on {home / 'kernel.sock'}")
        recovered = boot_message(home)  # what it found in the journal of the last run
        if recovered:
            print(recovered)
        return 0
    print(f"llmos: the kernel is already running (pid {pid}) for {home}", file=sys.stderr)
    try:
        note = daemonflags.ignored(args, anyio.run(_status))
    except (NotRunning, KernelError):
        note = None
    if note:
        print(note, file=sys.stderr)
    return 1


async def _status():
    async with Client() as c:
        return await c.status()


async def _halt() -> tuple[int, int]:
    async with Client() as c:
        st = await c.status()
        killed = await c.halt()
        return st.pid, killed


def halt(args: argparse.Namespace) -> int:
    home = daemonctl.home_of()
    if daemonctl.is_running(home) is None:
        print("llmos: no kernel is running", file=sys.stderr)
        return 1
    try:
        pid, killed = anyio.run(_halt)
    except (NotRunning, KernelError, OSError):
        gone = daemonctl.force_stop(home)
        print("kernel stopped" if gone else "llmos: the kernel did not stop", file=sys.stderr if not gone else sys.stdout)
        return 0 if gone else 1
    daemonctl.wait_gone(pid)
    print(f"kernel halted ({killed} process{'es' if killed != 1 else ''} killed)")
    return 0


def status(args: argparse.Namespace) -> int:
    if daemonctl.is_running() is None:
        print("kernel: not running")
        return 3

    async def get():
        async with Client() as c:
            return await c.status()
    try:
        st = anyio.run(get)
    except (NotRunning, KernelError) as exc:
        print(f"kernel: not answering ({exc})")
        return 1
    states = ", ".join(f"{n} {s.lower()}" for s, n in sorted(st.by_state.items())) or "no processes"
    print(f"kernel: running (pid {st.pid}), up {duration(st.uptime)}, model {st.model or 'embedded'}, "
          f"policy {st.policy}\nslots: {st.slots_busy}/{st.slots_total} busy, {st.queued} queued, "
          f"{st.tokens_per_second:.1f} tok/s\nprocesses: {states}\nhome: {st.home}")
    if len(st.engines) > 1:  # several engines: each one's model, slots and the context a process gets there
        for e in st.engines:
            print(f"engine {printable(e.name)}: model {printable(e.model)}, slots {e.slots_busy}/{e.slots_total} busy, "
                  f"{e.queued} queued, {e.context} tokens a process")
    return 0
