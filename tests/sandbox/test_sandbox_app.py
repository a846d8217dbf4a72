"""App containers reach the kernel only through the sandbox's channel (no mount), and can import syscalls."""
from __future__ import annotations

import os
import socket
import threading

import anyio
import pytest

from sandbox import SandboxError

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

APP = r"""
import os, socket, sys
import syscalls
print("sdk", syscalls.__name__, hasattr(syscalls, "Sys"))
s = socket.socket(socket.AF_UNIX)
s.connect(os.environ["LLMOS_SOCKET"])
s.sendall(b"ping " + os.environ["APP_ARG"].encode())
print(s.recv(100).decode())
print("net", sorted(os.listdir("/sys/class/net")))
print("uid", os.getuid())
"""


@pytest.fixture
def echo_socket(tmp_path):
    path = tmp_path / "kernel.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    os.chmod(path, 0o666)  # the app runs as uid 1000
    os.chmod(tmp_path, 0o755)
    srv.listen(4)
    seen = []

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(100)
                seen.append(data)
                conn.sendall(b"echo:" + data)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield str(path), seen
    srv.close()


async def test_app_talks_to_the_kernel_socket(sb, engine, echo_socket):
    path, seen = echo_socket
    made = []
    real_create = sb._pool.api.create_container

    def create(*a, **kw):
        out = real_create(*a, **kw)
        if kw["labels"].get("llmos.role") == "app":  # not the SDK volume's helper
            made.append(out["Id"])
        return out

    sb._pool.api.create_container = create
    try:
        task = sb.run_app("app-7", ["python3", "-c", APP], path, env={"APP_ARG": "hello"})
        async with anyio.create_task_group() as tg:
            tg.start_soon(_remember_mounts, engine, made)
            r = await task
            tg.cancel_scope.cancel()
    finally:
        del sb._pool.api.create_container
    assert r.ok, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "sdk syscalls True"
    assert lines[1] == "echo:ping hello"
    assert lines[2] == "net ['lo']"
    assert lines[3] == "uid 1000"
    assert seen == [b"ping hello"]
    assert await sb.containers("app-7") == []
    # nothing of the host: the work folder, and the SDK's volume on the engine, read-only
    assert MOUNTS and all(m == [("volume", "/work", True), ("volume", "/opt/llmos", False)]
                          for m in MOUNTS.values()), MOUNTS


MOUNTS: dict[str, list] = {}


async def _remember_mounts(engine, made: list[str]) -> None:
    """What each container made for the app mounts, read from the engine while it runs."""
    while True:
        for cid in made:
            if cid not in MOUNTS:
                info = await anyio.to_thread.run_sync(engine.api.inspect_container, cid)
                assert not info["HostConfig"].get("Binds")
                MOUNTS[cid] = sorted(((m["Type"], m["Destination"], m["RW"]) for m in info["Mounts"]),
                                     key=lambda m: m[1], reverse=True)
        await anyio.sleep(0.02)


async def test_app_code_files_and_read_only_sdk(sb, echo_socket):
    """The SDK is a read-only copy and the channel's socket is the app user's alone."""
    path, _ = echo_socket
    r = await sb.run_app("app-8", ["python3", "main.py"], path,
                         files={"main.py": b"import os, stat, syscalls, pathlib\n"
                                           b"p = pathlib.Path(syscalls.__file__)\n"
                                           b"print(p)\n"
                                           b"try:\n    p.write_text('x')\nexcept OSError as e:\n"
                                           b"    print('ro', e.errno)\n"
                                           b"st = os.stat(os.environ['LLMOS_SOCKET'])\n"
                                           b"print('%o %d' % (stat.S_IMODE(st.st_mode), st.st_uid))\n"})
    assert r.ok, r.stderr
    assert r.stdout.splitlines() == ["/opt/llmos/syscalls/__init__.py", "ro 30", "600 1000"]


MANY = r"""
import os, socket
conns = []
for i in range(5):  # five connections open at once, answered out of order
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["LLMOS_SOCKET"])
    conns.append(s)
for i, s in reversed(list(enumerate(conns))):
    s.sendall(b"x" * 200000 + str(i).encode())
    s.shutdown(socket.SHUT_WR)
    got = b""
    while chunk := s.recv(65536):
        got += chunk
    print(i, len(got), got[-1:].decode())
"""


async def test_several_connections_at_once_are_kept_apart(sb, tmp_path):
    path = tmp_path / "k.sock"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(8)

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    def echo(conn):
        with conn:
            got = b""
            while chunk := conn.recv(65536):
                got += chunk
                if len(got) >= 200001:
                    break
            conn.sendall(got[::-1][:1] + got[:-1] + got[-1:])

    threading.Thread(target=serve, daemon=True).start()
    try:
        r = await sb.run_app("app-10", ["python3", "-c", MANY], str(path))
    finally:
        srv.close()
    assert r.ok, r.stderr
    assert r.stdout.splitlines() == [f"{i} 200002 {i}" for i in (4, 3, 2, 1, 0)]


async def test_app_needs_an_existing_socket(sb):
    with pytest.raises(SandboxError) as ei:
        await sb.run_app("app-9", ["python3", "-c", "1"], "/nonexistent/kernel.sock")
    assert ei.value.code == "invalid"
