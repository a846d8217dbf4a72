"""The HTTP listener: uvicorn serving the ASGI app inside the kernel's event loop, on a socket bound here
(so port 0 works and the real port is known), leaving the kernel's signal handling alone."""
from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import anyio
import uvicorn


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the kernel daemon owns SIGTERM/SIGINT
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; ``OSError`` with the reason when it cannot be had."""
    family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/v1"


class HttpServer:
    """``await tg.start(server.serve)`` serves until ``stop()``; ``url`` is the API's base URL."""

    def __init__(self, app: Any, sock: socket.socket, url: str = ""):
        self.sock, self.url = sock, url or url_of(sock)
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", server_header=False,
                                timeout_graceful_shutdown=2, timeout_keep_alive=30)
        self._server = _Server(config)

    async def serve(self, *, task_status: anyio.abc.TaskStatus[str] = anyio.TASK_STATUS_IGNORED) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._server.serve, [self.sock])
            while not self._server.started:
                if self._server.should_exit:
                    break
                await anyio.sleep(0.01)
            task_status.started(self.url)

    def stop(self) -> None:
        self._server.should_exit = True
