"""The kernel daemon: one per llmos home, a pid file and a 0600 Unix socket, stale ones cleaned up."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import anyio

from kernel.api.server import ApiServer
from kernel.config import KernelConfig
from kernel.kernel import Kernel
from kernel.proc import pids

SOCKET, PIDFILE = "kernel.sock", "kernel.pid"
BOOT_SECONDS = 120  # a daemon without a socket this long after its pid file is taken for dead
ZOMBIE_SECONDS = 60  # an exited process stays in `ps` this long, then moves to history (`ps -a`)


def socket_path(home: str | Path) -> Path:
    return Path(home) / SOCKET


def pid_path(home: str | Path) -> Path:
    return Path(home) / PIDFILE


def _alive(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:  # our own child that has exited: reaped now
            return False
    except ChildProcessError:
        pass
    return pids.alive(pid)


def _answers(path: Path) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2.0)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def running_pid(home: str | Path) -> int | None:
    """The pid of the daemon serving ``home``, or None; a stale pid file or socket is removed."""
    pidf, sock = pid_path(home), socket_path(home)
    try:
        pid = int(pidf.read_text().strip())
    except (OSError, ValueError):
        pid = 0
    if pid and _alive(pid):
        if sock.exists() and _answers(sock):
            return pid
        if time.time() - _mtime(pidf) < BOOT_SECONDS:
            # still booting: its socket is not there yet, or is bound but not yet listening
            # (removing it then would pull the socket out from under the daemon)
            return pid
    for stale in (pidf, sock):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    return None


class AlreadyRunning(RuntimeError):
    pass


def prepare_home(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)


def claim(home: Path) -> None:
    """Write our pid file, atomically refusing if a live daemon already owns this home."""
    prepare_home(home)
    other = running_pid(home)
    if other is not None and other != os.getpid():
        raise AlreadyRunning(f"the kernel is already running (pid {other}) for {home}")
    tmp = home / f".kernel.pid.{os.getpid()}"
    tmp.write_text(f"{os.getpid()}\n")
    try:
        os.link(tmp, pid_path(home))  # fails if another daemon won the race
    except FileExistsError:
        raise AlreadyRunning(f"the kernel is already running for {home}") from None
    finally:
        tmp.unlink()


def release(home: Path) -> None:
    try:
        if int(pid_path(home).read_text().strip()) != os.getpid():
            return
    except (OSError, ValueError):
        return
    for f in (socket_path(home), pid_path(home)):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()


async def serve(config: KernelConfig, *, engine: Any = None, engines: Any = None, person: Any = None,
                task_status: anyio.abc.TaskStatus[Kernel] = anyio.TASK_STATUS_IGNORED) -> None:
    """Boot a kernel and serve its API until ``halt``, SIGTERM or SIGINT; the caller has ``claim``-ed the home."""
    home = config.home_path()
    async with Kernel(config, engine=engine, engines=engines, person=person) as kernel:
        async with anyio.create_task_group() as tg:
            server = ApiServer(kernel, str(socket_path(home)), on_halt=tg.cancel_scope.cancel)

            async def signals() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as sigs:
                    async for _ in sigs:
                        tg.cancel_scope.cancel()
                        return

            async def reaper() -> None:  # zombies nobody waited for leave the table after a while
                while True:
                    await anyio.sleep(5)
                    cutoff = time.time() - ZOMBIE_SECONDS
                    for p in kernel.ptable.all():
                        if not p.alive and p.ended and p.ended < cutoff:
                            kernel.ptable.reap(p.pid)

            tg.start_soon(signals)
            tg.start_soon(reaper)
            await tg.start(server.serve)
            task_status.started(kernel)
        with contextlib.suppress(FileNotFoundError):
            socket_path(home).unlink()
