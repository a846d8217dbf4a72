"""Isolated apps (``isolation = "process"`` or ``"container"``): the entry runs apart, syscalls by socket only."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import ByteReceiveStream

from apps.manifest import Manifest
from drivers.errors import DriverError
from kernel.errors import from_driver
from kernel.proc import budget
from kernel.proc import isolate_jail as jail
from kernel.proc.isolate_socket import SyscallSocket
from sandbox import SYSTEM_MAX, SandboxError
from sandbox import appmain as _appmain
from sandbox.result import BoundedBuffer
from syscalls.errors import SyscallError, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process

EXIT_GRACE = 3.0  # seconds an app may take to end by itself after proc.exit
OUTPUT_BYTES = 64 * 1024
APP_FILES_MAX = 16 * 1024 * 1024
SKIP = {"__pycache__", ".git", ".venv", "node_modules"}
DEPS = ".deps"  # an installed app's private pip packages (apps/installer.py)


class AppFailed(SyscallError):
    code = "app_error"


async def isolate(k: "Kernel", proc: "Process", manifest: Manifest, mode: str = "") -> Any:
    """Run ``manifest``'s entry for ``proc`` in a jailed subprocess or a container (``mode``,
    by default the manifest's); return or raise what the in-kernel entry would (ProcessExit
    carries the result)."""
    mode = mode or manifest.isolation
    # a jailed app runs as a uid of its own: the socket (0600) is handed to that uid, and only the socket
    # file is mounted where it runs.  A container reaches it through the sandbox's channel (the kernel's
    # own connection, sandbox/tunnel.py), so the socket stays the kernel's alone.
    sock = SyscallSocket(k, proc, peer_uid=None if mode == "container" else jail.peer_uid(proc.pid))
    k.events.emit("proc.isolate", proc.pid, mode=mode, socket=sock.path)
    code, out, err = 0, "", ""
    failed: SyscallError | None = None  # raised once the task group is closed, not wrapped in an ExceptionGroup
    async with anyio.create_task_group() as tg:
        await tg.start(sock.serve)
        with anyio.CancelScope() as app_scope:
            sock.on_exit = lambda: setattr(app_scope, "deadline", anyio.current_time() + EXIT_GRACE)
            try:
                if mode == "container":
                    code, out, err = await _in_container(k, proc, manifest, sock)
                else:
                    code, out, err = await _in_process(proc, manifest, sock)
            except DriverError as exc:  # the sandbox could not run it (no engine, no image ...)
                failed = from_driver(exc)
            except SyscallError as exc:
                failed = exc
        if failed is None:
            await sock.drain()  # the app has ended: its connections close by themselves
        tg.cancel_scope.cancel()
    if failed is not None:
        raise failed
    if out or err:
        k.events.emit("proc.output", proc.pid, stdout=out[-2000:], stderr=err[-2000:])
    if sock.exit is not None:
        raise sock.exit
    if code != 0:
        tail = (err or out).strip().splitlines()[-6:]
        raise AppFailed(f"app '{manifest.name}' ({mode}) exited with status {code}"
                        + (": " + " | ".join(tail) if tail else ""))
    return None


def _env(proc: "Process", manifest: Manifest, sock: SyscallSocket, app_dir: str) -> dict[str, str]:
    """What the app sees: where the kernel is, who it is, and nothing of the kernel's own environment."""
    return {"LLMOS_TOKEN": sock.token, "LLMOS_PID": str(proc.pid), "LLMOS_APP": manifest.name,
            "LLMOS_TASK": proc.task, "LLMOS_ENTRY": manifest.entry, "LLMOS_APP_DIR": app_dir}


async def _in_process(proc: "Process", manifest: Manifest, sock: SyscallSocket) -> tuple[int, str, str]:
    """The app under its own unprivileged uid in a jail that holds the syscall socket and nothing
    of the host (kernel/proc/isolate_jail.py); its bootstrap runs with -P so the bootstrap's own
    folder cannot shadow the app's modules."""
    env = {**_env(proc, manifest, sock, manifest.path), "LLMOS_SOCKET": sock.path}
    argv, outer_env, root = jail.command(proc.pid, manifest.path, sock.path, env, _appmain.__file__)
    try:
        return await _run_jailed(argv, outer_env)
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(root)  # empty on the host: the jail's mounts lived in its own namespace


async def _run_jailed(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    p = await anyio.open_process(argv, env=env, cwd="/", stdin=subprocess.DEVNULL, start_new_session=True)
    out, err = BoundedBuffer(OUTPUT_BYTES), BoundedBuffer(OUTPUT_BYTES)

    async def drain(stream: ByteReceiveStream | None, buf: BoundedBuffer) -> None:
        if stream is None:  # not a pipe
            return
        async for chunk in stream:
            buf.add(chunk)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(drain, p.stdout, out)
            tg.start_soon(drain, p.stderr, err)
            code = await p.wait()
    finally:  # the app's whole session goes with it (KILL, exit, crash)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        with anyio.CancelScope(shield=True):
            await p.wait()
            await p.aclose()
    return code, out.text(), err.text()


def app_files(folder: str) -> dict[str, bytes]:
    """The app's folder as {relative path: bytes} (no links, caches, VCS or other hidden folders,
    but its private ``.deps``), bounded."""
    root = Path(folder)
    files: dict[str, bytes] = {}
    total = 0
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        hidden = [part for part in rel.parts if part in SKIP or part.startswith(".")]
        wanted = not hidden or (hidden == [DEPS] and rel.parts[0] == DEPS)
        if not wanted or f.is_symlink() or not f.is_file():
            continue
        total += f.stat().st_size
        if total > APP_FILES_MAX:
            raise SandboxError(f"app folder {folder} is larger than {APP_FILES_MAX} bytes", code="limit")
        files[f"app/{rel.as_posix()}"] = f.read_bytes()
    return files


async def _in_container(k: "Kernel", proc: "Process", manifest: Manifest, sock: SyscallSocket
                        ) -> tuple[int, str, str]:
    sb = k.sandbox
    if sb is None:
        raise Unavailable(f"app '{manifest.name}' needs a container, but the sandbox is not attached")
    files = app_files(manifest.path)
    files[".llmos/appmain.py"] = Path(_appmain.__file__).read_bytes()
    wall = budget.remaining(proc).get("wall_seconds")
    timeout = min(wall, SYSTEM_MAX.timeout_s) if wall else sb.system_max.timeout_s
    env = _env(proc, manifest, sock, "/work/app")
    r = await sb.run_app(str(proc.pid), ["python3", "-P", "/work/.llmos/appmain.py"], sock.path, env=env,
                         limits=manifest.sandbox or None, files=files,
                         timeout=max(1.0, timeout))
    proc.usage.sandbox_cpu_seconds += r.cpu_s
    if r.killed and sock.exit is None:
        raise AppFailed(f"app '{manifest.name}' container was killed ({r.killed})")
    return r.exit_code, r.stdout, r.stderr
