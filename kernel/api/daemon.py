"""The kernel daemon: one per llmos home, a pid file and a 0600 Unix socket, stale ones cleaned up."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import structlog

from kernel.api.listen import ListenError, ListenPlan, cleartext_warning, prepare
from kernel.api.remote import RemoteApi
from kernel.api.server import ApiServer
from kernel.config import KernelConfig
from kernel.kernel import Kernel
from kernel.proc import pids

SOCKET, PIDFILE, LISTENING = "kernel.sock", "kernel.pid", "kernel.listen"
BOOT_SECONDS = 120  # a daemon without a socket this long after its pid file is taken for dead
_log = structlog.get_logger("llmos.api")
ZOMBIE_SECONDS = 60  # an exited process stays in `ps` this long, then moves to history (`ps -a`)


def socket_path(home: str | Path) -> Path:
    return Path(home) / SOCKET


def pid_path(home: str | Path) -> Path:
    return Path(home) / PIDFILE


def listen_path(home: str | Path) -> Path:
    """Where a daemon that listens on TCP writes the address it bound ("HOST:PORT", then " tls" with TLS)."""
    return Path(home) / LISTENING


def listening(home: str | Path) -> tuple[str, bool] | None:
    """("HOST:PORT", tls) of the running daemon's TCP listener, or None when it has none."""
    try:
        address, _, tls = listen_path(home).read_text().strip().partition(" ")
    except OSError:
        return None
    return (address, tls == "tls") if address else None


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
    for stale in (pidf, sock, listen_path(home)):
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
    for f in (socket_path(home), listen_path(home), pid_path(home)):
        with contextlib.suppress(FileNotFoundError):
            f.unlink()


def plan(config: KernelConfig, env: Mapping[str, str] | None = None) -> ListenPlan | None:
    """The TCP listener ``config`` asks for, checked (token, certificate); None when it asks for none."""
    return prepare(config.kernel_listen, config.home_path(), token_file=config.kernel_token_file,
                   cert=config.kernel_tls_cert, key=config.kernel_tls_key, env=env)


async def _bind(listen: ListenPlan) -> anyio.abc.Listener[Any]:
    try:
        return await anyio.create_tcp_listener(local_host=listen.host, local_port=listen.port)
    except OSError as exc:
        why = (exc.strerror or str(exc)).lower()
        raise ListenError(f"cannot listen on {listen.host}:{listen.port}: {why}") from None


async def serve(config: KernelConfig, *, engine: Any = None, engines: Any = None, person: Any = None,
                listen: ListenPlan | None = None,
                task_status: anyio.abc.TaskStatus[Kernel] = anyio.TASK_STATUS_IGNORED) -> None:
    """Boot a kernel and serve its API until ``halt``, SIGTERM or SIGINT; the caller has ``claim``-ed the home.

    ``listen`` (or the listener ``config`` asks for) also serves it on TCP; its port is bound before
    the kernel boots, so a taken port stops the boot at once (``ListenError``)."""
    home = config.home_path()
    listen = listen or plan(config)
    tcp = await _bind(listen) if listen is not None else None
    async with Kernel(config, engine=engine, engines=engines, person=person) as kernel:
        async with anyio.create_task_group() as tg:
            server = ApiServer(kernel, str(socket_path(home)), on_halt=tg.cancel_scope.cancel)
            if tcp is not None and listen is not None:
                remote = RemoteApi(server, tcp, token=listen.token, tls=listen.tls)
                host, port = await tg.start(remote.serve)
                shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                listen_path(home).write_text(f"{shown}{' tls' if listen.tls else ''}\n")
                warning = cleartext_warning(host, listen.tls is not None)
                if warning:
                    _log.warning("api.cleartext", warning=warning)

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
        for f in (socket_path(home), listen_path(home)):
            with contextlib.suppress(FileNotFoundError):
                f.unlink()
