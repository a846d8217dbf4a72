"""A Unix-socket proxy in front of the Docker engine that a test can cut, as if the engine went away."""
from __future__ import annotations

import contextlib
import os
import socket
import threading


class SocketProxy:
    def __init__(self, listen: str, target: str = "/var/run/docker.sock"):
        self.listen, self.target = listen, target
        self._srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._srv.bind(listen)
        self._srv.listen(64)
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self.cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.cut:
            try:
                a, _ = self._srv.accept()
            except OSError:
                return
            b = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            b.connect(self.target)
            with self._lock:
                self._socks += [a, b]
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def kill(self) -> None:
        """Drop every connection and stop listening: the engine is gone."""
        self.cut = True
        with contextlib.suppress(OSError):
            self._srv.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the other thread
        with contextlib.suppress(OSError):
            self._srv.close()
        with contextlib.suppress(OSError):
            os.unlink(self.listen)
        with self._lock:
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
