"""External programs as processes (``llmos exec``): the program runs with its own API key, its output
becomes the process's log, the kernel's signals reach it, and its exit code is the exit status."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import anyio
import msgspec

from apps.manifest import Manifest, Permissions
from kernel.errors import ProcessExit
from kernel.proc import execbox
from kernel.proc.process import State
from syscalls.errors import InvalidArgument, NotFound, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process

LINE_CHARS = 4000  # one output line kept in an event (the rest is cut)
RESULT_CHARS = 4000  # the tail of stdout kept as the process's result
_SIGNALS = {"TERM": signal.SIGTERM, "STOP": signal.SIGSTOP, "CONT": signal.SIGCONT}

# Programs run without --app or --manifest: they may call the model and nothing else.
DEFAULT_MANIFEST = Manifest(name="external", description="a program run with `llmos exec`", entry="exec:main",
                            isolation="process", permissions=Permissions(syscalls=["llm.*"], files=[]))


class Program(msgspec.Struct, kw_only=True):
    """What to run: argv, working folder and environment (the caller's, from ``llmos exec``)."""

    argv: list[str]
    cwd: str = ""
    env: dict[str, str] = {}
    isolation: Literal["host", "container"] = "host"


def environment(k: "Kernel", proc: "Process", program: Program, key: str) -> dict[str, str]:
    """The caller's environment plus where the kernel's API is and the process's key (OpenAI's names
    and llmos's own)."""
    env = {n: v for n, v in program.env.items() if not n.startswith(("OPENAI_", "LLMOS_"))}
    env.update({"OPENAI_BASE_URL": k.api_url, "OPENAI_API_KEY": key, "OPENAI_API_BASE": k.api_url,
                "LLMOS_BASE_URL": k.api_url, "LLMOS_API_KEY": key, "LLMOS_PID": str(proc.pid),
                "LLMOS_APP": proc.app, "LLMOS_HOME": str(k.home)})
    env.setdefault("PATH", os.environ.get("PATH", "/usr/bin:/bin"))
    return env


async def run(k: "Kernel", proc: "Process", program: Program) -> Any:
    if k.api_calls is None or (not k.api_url and program.isolation == "host"):
        raise Unavailable("the kernel's OpenAI API is off or could not listen (see [api] in docs/config.md)")
    key = k.api_calls.issue(proc.pid)
    k.events.emit("proc.exec", proc.pid, argv=[a[:200] for a in program.argv[:32]], cwd=program.cwd,
                  isolation=program.isolation)
    tail: list[str] = []
    proc.set_state(State.WAITING)  # on its program, which makes its syscalls over the API
    if program.isolation == "container":
        try:
            code = await execbox.run(k, proc, program, key, lambda stream, raw: _line(k, proc, stream, raw, tail))
        finally:
            k.api_calls.keys.revoke(proc.pid)
        raise ProcessExit("\n".join(tail)[-RESULT_CHARS:], code if code >= 0 else 128 - code)
    try:
        p = await anyio.open_process(program.argv, env=environment(k, proc, program, key), cwd=program.cwd or None,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise NotFound(f"cannot run {program.argv[0]!r}: {exc.strerror or exc}") from None

    def forward(ev: dict[str, Any]) -> None:  # kill -TERM/-STOP/-CONT reach the program's whole process group
        sig = _SIGNALS.get(ev.get("signal", "")) if ev.get("kind") == "proc.signal" else None
        if sig is not None and ev.get("pid") == proc.pid:
            _killpg(p.pid, sig)

    async def drain(stream: Any, name: str) -> None:
        buf = b""
        async for chunk in stream:
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                _line(k, proc, name, line, tail)
        if buf:
            _line(k, proc, name, buf, tail)

    unsubscribe = k.events.subscribe(forward)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(drain, p.stdout, "stdout")
            tg.start_soon(drain, p.stderr, "stderr")
            code = await p.wait()
    finally:  # KILL, a budget, the kernel halting: the program's whole session goes with the process
        unsubscribe()
        k.api_calls.keys.revoke(proc.pid)
        _killpg(p.pid, signal.SIGKILL)
        with anyio.CancelScope(shield=True):
            await p.wait()
            await p.aclose()
    status = code if code >= 0 else 128 - code  # killed by signal N: 128+N, as a shell says
    raise ProcessExit("\n".join(tail)[-RESULT_CHARS:], status)


def _line(k: "Kernel", proc: "Process", stream: str, raw: bytes, tail: list[str]) -> None:
    text = raw.decode("utf-8", "replace").rstrip("\r")
    k.events.emit("proc.output", proc.pid, stream=stream, text=text[:LINE_CHARS])
    if stream == "stdout":
        tail.append(text)
        while len(tail) > 200:
            tail.pop(0)


def _killpg(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def manifest_for(k: "Kernel", app: str = "", manifest_path: str = "") -> Manifest:
    """The manifest an external program runs under: an installed app's, one read from a path, or the default."""
    from apps.manifest import ManifestError, load_manifest
    if app and manifest_path:
        raise InvalidArgument("give --app or --manifest, not both")
    if app:
        try:
            return k.registry.get(app)
        except KeyError:
            raise NotFound(f"no app named {app!r}; `llmos apps` lists the installed ones") from None
    if manifest_path:
        path = Path(manifest_path).expanduser()
        try:
            return load_manifest(path.parent if path.name == "app.toml" else path)
        except ManifestError as exc:
            raise InvalidArgument(str(exc)) from None
    return DEFAULT_MANIFEST


async def spawn(k: "Kernel", program: Program, *, app: str = "", manifest: str = "", name: str = "",
                priority: int | None = None, budgets: dict[str, float] | None = None) -> int:
    """Start ``program`` as a process of its manifest; the pid."""
    if not program.argv or not program.argv[0]:
        raise InvalidArgument("nothing to run: give a command after --")
    m = manifest_for(k, app, manifest)
    label = name or shlex.join(program.argv)
    return await k.spawn(m.name, label[:1000], priority=priority, budgets=budgets or None, manifest=m,
                         program=program)
