"""``llmos boot``, ``llmos halt`` and ``llmos status``: start, stop and inspect the kernel daemon."""
from __future__ import annotations

import argparse
import sys

import anyio

from kernel.reliability.recovery import boot_message

from .. import daemonctl, daemonflags, kflags, remote
from ..client import Client, KernelError, NotRunning
from ..format import duration
from ..textsafe import printable
from . import procs


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("boot", help="start the kernel daemon for this llmos home")
    kflags.add(p)
    kflags.add_listen(p)
    p.set_defaults(func=boot)
    sub.add_parser("halt", help="kill every process and stop the kernel daemon").set_defaults(func=halt)
    sub.add_parser("status", help="say whether the kernel daemon runs, and how busy it is").set_defaults(func=status)


def boot(args: argparse.Namespace) -> int:
    try:
        pid, fresh = daemonctl.boot(model=args.model, slots=args.slots, policy=args.policy,
                                    listen={f: getattr(args, f[2:].replace("-", "_")) for f in kflags.LISTEN})
    except daemonctl.BootError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    home = daemonctl.home_of()
    if fresh:
        print(f"kernel booted (pid {pid}), listening on {home / 'kernel.sock'}")
        for line in remote_lines(home):
            print(line)
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
    if args.listen is not None:
        print(listen_note(home, args.listen), file=sys.stderr)
    return 1


def listen_note(home, asked: str) -> str:
    """Say that ``--listen`` does not change a kernel that already runs, and what it listens on."""
    from kernel.api.daemon import listening
    found = listening(home)
    have = f"listens on {found[0]}" if found else "has no TCP listener"
    return (f"llmos: note: the kernel already running {have}; --listen {asked} is ignored. "
            f"To change it: `llmos halt`, then `llmos boot --listen {asked}`")


def remote_lines(home) -> list[str]:
    """What `boot` says of the TCP listener: its address, where its token is, and a warning without TLS."""
    from kernel.api.daemon import listening
    from kernel.api.listen import cleartext_warning, parse_address
    found = listening(home)
    if found is None:
        return []
    address, tls = found
    lines = [f"kernel API also on {address} ({'TLS' if tls else 'no TLS'}), with the token in {token_at(home)}; "
             f"drive it with `llmos --kernel {'tls://' if tls else ''}{address} --token-file FILE ps` (docs/user-guide.md)"]
    warning = cleartext_warning(parse_address(address)[0], tls)
    if warning:
        lines.append(f"llmos: warning: {warning}")
    return lines


def token_at(home) -> str:
    """Where the listener's token came from (kernel/api/listen.py): never the token itself."""
    import os

    from kernel.api.listen import TOKEN_ENV, TOKEN_FILE
    from kernel.settings import SettingsError, load
    if os.environ.get(TOKEN_ENV):
        return f"${TOKEN_ENV}"
    try:
        return load(home).config.kernel_token_file or str(home / TOKEN_FILE)
    except SettingsError:
        return str(home / TOKEN_FILE)


async def _status():
    async with Client() as c:
        return await c.status()


async def _halt() -> tuple[int, int]:
    async with Client() as c:
        st = await c.status()
        killed = await c.halt()
        return st.pid, killed


def halt(args: argparse.Namespace) -> int:
    if remote.target() is not None:  # a kernel on another machine: ask it, there is no pid to wait on here
        pid, killed = procs._run(_halt)
        print(f"kernel halted (pid {pid}, {killed} process{'es' if killed != 1 else ''} killed)")
        return 0
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
    if remote.target() is None and daemonctl.is_running() is None:
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
    if remote.target() is None:
        from kernel.api.daemon import listening
        found = listening(daemonctl.home_of())
        if found:
            print(f"tcp: {found[0]} ({'TLS' if found[1] else 'no TLS'}; `llmos --kernel` clients need its token)")
    return 0
