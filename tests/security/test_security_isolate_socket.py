"""The syscall socket of an isolated app: private to the kernel's user, and no hello or frame ends it.

Other local users cannot reach it (0600 in a fresh 0700 folder), and hostile clients (a 2,000-deep
hello, invalid UTF-8, an oversized or unfinished frame, a flood of connections) each lose only their
own connection: the app keeps its syscalls and ends normally, the kernel serves on."""
from __future__ import annotations

import os
import socket
import stat
import struct
import textwrap

import anyio
import pytest

from kernel.proc.isolate_socket import HELLO_MAX, MAX_CLIENTS, SyscallSocket
from syscalls import Sys
from syscalls.errors import PermissionDenied
from syscalls.transport import SocketTransport

pytestmark = pytest.mark.anyio

HOSTILE = {
    "nested-hello": b'{"hello": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    "nested-object-hello": b'{"x": ' + b'{"a":' * 2000 + b"1" + b"}" * 2000 + b', "hello": "x"}',
    "utf8-hello": b'{"hello": "\xff\xfe\xed\xa0\x80"}',
    "binary": bytes(range(256)),
    "empty": b"",
    "list-hello": b'["hello"]',
}
WAITS = """
import anyio

async def run(sys, task):
    await sys.fs.write("started.txt", "1")
    while True:
        try:
            return "done " + await sys.fs.read("go.txt")
        except Exception:
            await anyio.sleep(0.05)
"""


def frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def attack(path: str, data: bytes) -> bytes:
    """Send ``data`` as one client and return what the socket answered before hanging up."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out
    except (BrokenPipeError, ConnectionResetError):
        return b""
    finally:
        s.close()


def app(root, name: str, code: str) -> None:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(f'name = "{name}"\nentry = "main:run"\nisolation = "process"\n'
                                     '[permissions]\nsyscalls = ["fs.*", "proc.*"]\nfiles = ["*.txt"]\n')
    (folder / "main.py").write_text(textwrap.dedent(code))


async def test_hostile_hellos_and_frames_end_only_their_connection(kernel_factory, make_app):
    app(make_app.root, "idle", "async def run(sys, task):\n    return 1\n")
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("idle"), timeout=60)
        sock = SyscallSocket(k, p)
        async with anyio.create_task_group() as tg:
            await tg.start(sock.serve)
            hello = frame(b'{"hello": "%s"}' % sock.token.encode())
            cases = [frame(v) for v in HOSTILE.values()] + [
                struct.pack(">I", HELLO_MAX + 1) + b"{" * 100,  # a hello larger than any hello
                struct.pack(">I", 50) + b'{"hel',  # a hello cut short
                hello + frame(b'{"id": 1, "req": ' + b"[" * 3000 + b"]" * 3000 + b"}"),  # nested call frame
                hello + frame(b'{"id": 1, "req": {"call": "fs.list", "path": "\xff"}}'),  # bad UTF-8 in a call
                hello + frame(b'{"id": 1, "req": "\xc3\x28"}'),
            ]
            for data in cases:
                with anyio.fail_after(20):
                    answer = await anyio.to_thread.run_sync(attack, sock.path, data)
                assert b"Traceback" not in answer
            good = Sys(SocketTransport(sock.path, sock.token))
            assert await good.fs.list() == []  # still serving, token still checked
            await good.transport.aclose()
            bad = Sys(SocketTransport(sock.path, "wrong"))
            with pytest.raises(PermissionDenied):
                await bad.fs.list()
            await bad.transport.aclose()
            await sock.drain(5)
            assert sock.clients == 0 and sock.budget.used == 0
            tg.cancel_scope.cancel()


async def test_a_flood_of_connections_is_bounded(kernel_factory, make_app):
    app(make_app.root, "idle", "async def run(sys, task):\n    return 1\n")
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("idle"), timeout=60)
        sock = SyscallSocket(k, p)
        async with anyio.create_task_group() as tg:
            await tg.start(sock.serve)
            held = []  # plain client sockets (another process's, as far as the server can tell)
            for i in range(MAX_CLIENTS + 5):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(sock.path)
                held.append(c)
                with anyio.fail_after(10):  # one at a time: anyio's accept double-fires under a burst
                    while sock.clients + sock.refused <= i:
                        await anyio.sleep(0.01)
            assert sock.clients == MAX_CLIENTS
            for n, c in enumerate(held[:MAX_CLIENTS]):  # hung up one at a time, for the same reason
                c.close()
                with anyio.fail_after(10):
                    while sock.clients > MAX_CLIENTS - n - 1:
                        await anyio.sleep(0.01)
            for c in held[MAX_CLIENTS:]:
                c.close()
            good = Sys(SocketTransport(sock.path, sock.token))
            assert await good.fs.list() == []
            await good.transport.aclose()
            await sock.drain(5)
            tg.cancel_scope.cancel()


async def test_a_running_app_survives_hostile_clients_on_its_socket(kernel_factory, make_app):
    app(make_app.root, "waits", WAITS)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        pid = await k.spawn("waits")
        ws = k.workspace_path(pid)
        with anyio.fail_after(60):
            while not (ws / "started.txt").exists():
                await anyio.sleep(0.05)
        path = next(e["socket"] for e in k.events.for_pid(pid) if e["kind"] == "proc.isolate")
        for payload in HOSTILE.values():
            await anyio.to_thread.run_sync(attack, path, frame(payload))
        (ws / "go.txt").write_text("after the attack")
        p = await k.wait(pid, timeout=60)
        assert p.exit_reason == "exited", p.error
        assert p.result == "done after the attack"


async def test_the_socket_is_private_to_the_kernels_user(kernel_factory, make_app):
    app(make_app.root, "idle", "async def run(sys, task):\n    return 1\n")
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("idle"), timeout=60)
        sock = SyscallSocket(k, p)
        async with anyio.create_task_group() as tg:
            await tg.start(sock.serve)
            st_sock, st_dir = os.stat(sock.path), os.stat(sock.dir)
            assert stat.S_IMODE(st_sock.st_mode) == 0o600 and st_sock.st_uid == os.geteuid()
            assert stat.S_IMODE(st_dir.st_mode) == 0o700 and st_dir.st_uid == os.geteuid()
            if os.geteuid() == 0:  # another local user cannot even reach it
                probe = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\n"
                         "try:\n    s.connect(sys.argv[1])\n    print('connected')\n"
                         "except OSError as e:\n    print(type(e).__name__)\n")
                r = await anyio.run_process(["/usr/bin/python3", "-c", probe, sock.path], user=65534, check=False)
                assert r.stdout.decode().strip() == "PermissionError"
            tg.cancel_scope.cancel()


async def test_a_socket_for_another_uid_is_handed_to_that_uid(kernel_factory, make_app):
    if os.geteuid() != 0:
        pytest.skip("only root may hand a socket to another uid")
    app(make_app.root, "idle", "async def run(sys, task):\n    return 1\n")
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("idle"), timeout=60)
        sock = SyscallSocket(k, p, peer_uid=1000)
        async with anyio.create_task_group() as tg:
            await tg.start(sock.serve)
            st = os.stat(sock.path)
            assert st.st_uid == 1000 and stat.S_IMODE(st.st_mode) == 0o600
            assert stat.S_IMODE(os.stat(sock.dir).st_mode) == 0o700
            tg.cancel_scope.cancel()


STATS = """
import os, stat

async def run(sys, task):
    path = os.environ["LLMOS_SOCKET"]
    st, folder = os.stat(path), os.stat(os.path.dirname(path))
    return "%o %d %d" % (stat.S_IMODE(st.st_mode), st.st_uid, os.getuid())
"""


async def test_a_process_isolated_app_is_given_a_private_socket(kernel_factory, make_app):
    app(make_app.root, "stats", STATS)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("stats"), timeout=60)
        assert p.exit_reason == "exited", p.error
        # the socket (0600) belongs to the uid the app runs as, and only the socket is mounted in
        # its jail: the kernel's 0700 folder stays the kernel's (checked on the host side above)
        mode, owner, me = p.result.split()
        assert mode == "600" and owner == me
        if os.geteuid() == 0:
            assert int(me) != 0
