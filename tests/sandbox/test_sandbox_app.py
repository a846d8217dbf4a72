"""App containers reach the kernel only through the mounted syscall socket, and can import syscalls."""
from __future__ import annotations

import os
import socket
import threading

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


async def test_app_talks_to_the_kernel_socket(sb, echo_socket):
    path, seen = echo_socket
    r = await sb.run_app("app-7", ["python3", "-c", APP], path, env={"APP_ARG": "hello"})
    assert r.ok, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "sdk syscalls True"
    assert lines[1] == "echo:ping hello"
    assert lines[2] == "net ['lo']"
    assert lines[3] == "uid 1000"
    assert seen == [b"ping hello"]
    assert await sb.containers("app-7") == []


async def test_app_code_files_and_read_only_sdk(sb, echo_socket):
    path, _ = echo_socket
    r = await sb.run_app("app-8", ["python3", "main.py"], path,
                         files={"main.py": b"import syscalls, pathlib\n"
                                           b"p = pathlib.Path(syscalls.__file__)\n"
                                           b"print(p)\n"
                                           b"try:\n    p.write_text('x')\nexcept OSError as e:\n"
                                           b"    print('ro', e.errno)\n"})
    assert r.ok, r.stderr
    assert r.stdout.splitlines() == ["/opt/llmos/syscalls/__init__.py", "ro 30"]


async def test_app_needs_an_existing_socket(sb):
    with pytest.raises(SandboxError) as ei:
        await sb.run_app("app-9", ["python3", "-c", "1"], "/nonexistent/kernel.sock")
    assert ei.value.code == "invalid"
