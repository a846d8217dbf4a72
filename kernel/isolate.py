"""Isolated apps (``isolation = "process"`` or ``"container"``): the entry runs apart, syscalls by socket only."""
from __future__ import annotations

import os
import signal
import subprocess
import sys as _sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

import syscalls
from apps.manifest import Manifest
from drivers.errors import DriverError
from sandbox import SYSTEM_MAX, SandboxError, recipe
from sandbox import appmain as _appmain
from sandbox.result import BoundedBuffer
from syscalls.errors import SyscallError, Unavailable

from . import budget
from .errors import from_driver
from .isolate_socket import SyscallSocket

if TYPE_CHECKING:
    from .kernel import Kernel
    from .proc import Process

EXIT_GRACE = 3.0  # seconds an app may take to end by itself after proc.exit
OUTPUT_BYTES = 64 * 1024
APP_FILES_MAX = 16 * 1024 * 1024
SKIP = {"__pycache__", ".git", ".venv", "node_modules"}


class AppFailed(SyscallError):
    code = "app_error"


async def isolate(k: "Kernel", proc: "Process", manifest: Manifest) -> Any:
    """Run ``manifest``'s entry for ``proc`` in a subprocess or a container; return or raise
    what the in-kernel entry would (ProcessExit carries the result)."""
    # a container's app runs as the image's own user: the socket is handed to that uid
    sock = SyscallSocket(k, proc, peer_uid=recipe.UID if manifest.isolation == "container" else None)
    k.events.emit("proc.isolate", proc.pid, mode=manifest.isolation, socket=sock.path)
    code, out, err = 0, "", ""
    async with anyio.create_task_group() as tg:
        await tg.start(sock.serve)
        with anyio.CancelScope() as app_scope:
            sock.on_exit = lambda: setattr(app_scope, "deadline", anyio.current_time() + EXIT_GRACE)
            try:
                if manifest.isolation == "container":
                    code, out, err = await _in_container(k, proc, manifest, sock)
                else:
                    code, out, err = await _in_process(proc, manifest, sock)
            except DriverError as exc:
                tg.cancel_scope.cancel()
                raise from_driver(exc) from None
        await sock.drain()  # the app has ended: its connections close by themselves
        tg.cancel_scope.cancel()
    if out or err:
        k.events.emit("proc.output", proc.pid, stdout=out[-2000:], stderr=err[-2000:])
    if sock.exit is not None:
        raise sock.exit
    if code != 0:
        tail = (err or out).strip().splitlines()[-6:]
        raise AppFailed(f"app '{manifest.name}' ({manifest.isolation}) exited with status {code}"
                        + (": " + " | ".join(tail) if tail else ""))
    return None


def _env(proc: "Process", manifest: Manifest, sock: SyscallSocket, app_dir: str) -> dict[str, str]:
    """What the app sees: where the kernel is, who it is, and nothing of the kernel's own environment."""
    return {"LLMOS_TOKEN": sock.token, "LLMOS_PID": str(proc.pid), "LLMOS_APP": manifest.name,
            "LLMOS_TASK": proc.task, "LLMOS_ENTRY": manifest.entry, "LLMOS_APP_DIR": app_dir}


async def _in_process(proc: "Process", manifest: Manifest, sock: SyscallSocket) -> tuple[int, str, str]:
    sdk_root = str(Path(syscalls.__file__).resolve().parent.parent)
    env = {**_env(proc, manifest, sock, manifest.path), "LLMOS_SOCKET": sock.path, "PYTHONPATH": sdk_root,
           "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
           "HOME": str(proc.workspace.root)}
    # -P: the bootstrap's own folder (the sandbox package) must not shadow the app's modules
    argv = [_sys.executable, "-P", _appmain.__file__]
    p = await anyio.open_process(argv, env=env, cwd=str(proc.workspace.root), stdin=subprocess.DEVNULL,
                                 start_new_session=True)
    out, err = BoundedBuffer(OUTPUT_BYTES), BoundedBuffer(OUTPUT_BYTES)

    async def drain(stream, buf: BoundedBuffer) -> None:
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
    """The app's folder as {relative path: bytes} (no links, caches or VCS folders), bounded."""
    root = Path(folder)
    files: dict[str, bytes] = {}
    total = 0
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        if any(part in SKIP or part.startswith(".") for part in rel.parts) or f.is_symlink() or not f.is_file():
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
                         limits=getattr(manifest, "sandbox", None) or None, files=files,
                         timeout=max(1.0, timeout))
    proc.usage.sandbox_cpu_seconds += r.cpu_s
    if r.killed and sock.exit is None:
        raise AppFailed(f"app '{manifest.name}' container was killed ({r.killed})")
    return r.exit_code, r.stdout, r.stderr
