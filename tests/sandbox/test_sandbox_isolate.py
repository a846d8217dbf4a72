"""Isolated apps: Python entries in their own process or container, reaching the kernel only by the syscall socket."""
from __future__ import annotations

import json
import os
import textwrap

import anyio
import pytest

from kernel import State
from kernel.proc.isolate_jail import app_uid
from kernel.proc.isolate_socket import SyscallSocket
from syscalls import Sys
from syscalls.errors import PermissionDenied
from syscalls.transport import SocketTransport

pytestmark = pytest.mark.anyio

PROBE = """
import os

async def run(sys, task):
    info = await sys.fs.write("notes/hello.txt", "written from " + task)
    back = await sys.fs.read("notes/hello.txt")
    try:
        await sys.browser.open("http://127.0.0.1:1/")
        denied = ""
    except Exception as e:
        denied = type(e).__name__ + ":" + getattr(e, "code", "")
    with open("/proc/1/cmdline", "rb") as f:
        init = f.read().split(b"\\0")[0].decode()
    return {"pid_seen": sys.pid, "os_pid": os.getpid(), "uid": os.getuid(), "size": info.size,
            "back": back, "denied": denied, "init": init,
            "secret": os.environ.get("LLMOS_TEST_SECRET", ""), "cwd": os.getcwd()}
"""


def isolated_app(root, name: str, isolation: str, code: str, extra: str = "") -> None:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(textwrap.dedent(f"""\
        name = "{name}"
        entry = "main:run"
        isolation = "{isolation}"
        {extra}
        [permissions]
        syscalls = ["fs.*", "proc.*", "llm.*"]
        files = ["**"]
        """))
    (folder / "main.py").write_text(textwrap.dedent(code))


async def _run(k, app: str, task: str = "task-1"):
    pid = await k.spawn(app, task)
    return await k.wait(pid, timeout=120)


async def test_process_isolation_uses_syscalls_from_another_process(kernel_factory, make_app, monkeypatch):
    monkeypatch.setenv("LLMOS_TEST_SECRET", "kernel-only")
    isolated_app(make_app.root, "proc-app", "process", PROBE)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await _run(k, "proc-app")
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["os_pid"] != os.getpid() and res["pid_seen"] == p.pid
        assert res["back"] == "written from task-1" and res["size"] == len("written from task-1")
        assert (k.workspace_path(p.pid) / "notes" / "hello.txt").read_text() == "written from task-1"
        assert res["denied"] == "PermissionDenied:permission"  # the kernel's rules apply as in-kernel
        assert res["secret"] == ""  # the kernel's environment does not leak
        assert res["cwd"] == "/work"  # a private scratch folder in its jail, as in a container
        # its own unprivileged uid when the kernel is root; an unprivileged kernel's own otherwise
        assert res["uid"] == (app_uid(p.pid) if os.geteuid() == 0 else os.getuid()) and res["uid"] != 0


@pytest.mark.docker
async def test_container_isolation_uses_fs_write_through_the_socket(engine, kernel_factory, make_app, monkeypatch):
    monkeypatch.setenv("LLMOS_TEST_SECRET", "kernel-only")
    isolated_app(make_app.root, "box-app", "container", PROBE)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await _run(k, "box-app", "the container")
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["uid"] == 1000 and res["init"] == "python3"  # inside the sandbox, under its agent
        assert res["pid_seen"] == p.pid and res["cwd"] == "/work"
        assert (k.workspace_path(p.pid) / "notes" / "hello.txt").read_text() == "written from the container"
        assert res["denied"] == "PermissionDenied:permission"
        assert res["secret"] == ""
        assert await k.sandbox.containers(str(p.pid)) == []


CRASH = """
async def run(sys, task):
    await sys.fs.write("before.txt", "x")
    raise RuntimeError("app bug " + task)
"""

SLEEP = """
import time
async def run(sys, task):
    await sys.fs.write("started.txt", "1")
    time.sleep(300)
"""


async def test_isolated_crash_is_an_error_with_the_apps_own_message(kernel_factory, make_app):
    isolated_app(make_app.root, "crasher", "process", CRASH)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await _run(k, "crasher", "42")
        assert p.exit_reason == "error" and p.exit_status == 1
        assert "exited with status 1" in p.error and "RuntimeError: app bug 42" in p.error
        assert (k.workspace_path(p.pid) / "before.txt").exists()


@pytest.mark.parametrize("isolation", ["process", pytest.param("container", marks=pytest.mark.docker)])
async def test_kill_ends_an_isolated_app_at_once(request, kernel_factory, make_app, isolation):
    if isolation == "container":
        request.getfixturevalue("engine")
    isolated_app(make_app.root, "sleepy", isolation, SLEEP)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        pid = await k.spawn("sleepy")
        for _ in range(600):
            if (k.workspace_path(pid) / "started.txt").exists():
                break
            await anyio.sleep(0.05)
        else:
            pytest.fail("the isolated app never started")
        k.signal(pid, "KILL")
        with anyio.fail_after(30):
            p = await k.wait(pid)
        assert p.state == State.KILLED
        if isolation == "container":
            assert await k.sandbox.containers(str(pid)) == []


async def test_the_socket_wants_the_token(kernel_factory, make_app):
    isolated_app(make_app.root, "idle", "process", "async def run(sys, task):\n    return 1\n")
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await _run(k, "idle")
        sock = SyscallSocket(k, p)
        async with anyio.create_task_group() as tg:
            await tg.start(sock.serve)
            assert oct(os.stat(sock.path).st_mode & 0o777) == "0o600"  # the kernel's user alone
            assert oct(os.stat(sock.dir).st_mode & 0o777) == "0o700"
            bad = Sys(SocketTransport(sock.path, "wrong-token"))
            with pytest.raises(PermissionDenied):
                await bad.fs.list()
            await bad.transport.aclose()
            good = Sys(SocketTransport(sock.path, sock.token))
            assert await good.fs.list() == []
            await good.transport.aclose()
            await sock.drain()
            assert sock.clients == 0
            tg.cancel_scope.cancel()
        assert not os.path.exists(sock.dir)


SOCKET_STAT = """
import os, stat

async def run(sys, task):
    st = os.stat(os.environ["LLMOS_SOCKET"])
    await sys.fs.write("ok.txt", "reached the kernel")
    return "%o %d %d" % (stat.S_IMODE(st.st_mode), st.st_uid, os.getuid())
"""


@pytest.mark.docker
async def test_a_containers_socket_is_its_own_users_and_the_kernels_stays_the_kernels(engine, kernel_factory,
                                                                                       make_app):
    """In the container the channel's socket is 0600 and the app user's; on the host the syscall socket stays
    0600 and the kernel's own (the container reaches it through the sandbox's channel, not a mount)."""
    isolated_app(make_app.root, "sock-stat", "container", SOCKET_STAT)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        seen = []
        run_app = k.sandbox.run_app

        async def spy(owner, command, socket_path, *a, **kw):
            seen.append(_host_socket(socket_path))
            return await run_app(owner, command, socket_path, *a, **kw)

        k.sandbox.run_app = spy
        p = await _run(k, "sock-stat")
        assert p.exit_reason == "exited", p.error
        assert p.result == "600 1000 1000"
        assert (k.workspace_path(p.pid) / "ok.txt").read_text() == "reached the kernel"
        assert seen == [("600", os.geteuid())]
        host = next(e["socket"] for e in k.events.for_pid(p.pid) if e["kind"] == "proc.isolate")
        assert not os.path.exists(host)  # removed with its folder once the app ended


def _host_socket(path: str) -> tuple[str, int]:
    st = os.stat(path)
    return oct(st.st_mode & 0o777)[2:], st.st_uid
