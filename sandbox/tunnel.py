"""The host end of the kernel channel: each connection the in-container relay accepts becomes a connection to a
Unix socket of the kernel (the process's syscall socket, the API's), over the relay's stdio attached by the
Docker API, so a container reaches the kernel with no shared path and no network, on any engine, local or remote.

Blocking, with threads, like the rest of the sandbox's engine side.  Every frame from the container is checked
(known op, bounded payload, bounded channels); a broken frame ends the whole tunnel, a failed connection its
own channel only.  The kernel's socket does its own checks (the token) as for any client."""
from __future__ import annotations

import socket
import threading
import time
from typing import Any, cast

from docker.utils.socket import frames_iter

from . import recipe, relay
from .errors import SandboxError
from .relay import CLOSE, DATA, HEADER, OPEN, READY

MAX_CHANNELS = 16  # connections open at once; an app needs one, an HTTP client a few
STDERR_KEPT = 2048  # the relay's own complaints, for the error when it does not start


class Tunnel:
    """Relay connections to ``listen`` (a Unix socket path inside container ``cid``) to ``target`` (a Unix
    socket path on this host).  ``start`` returns once the relay listens; ``close`` ends everything."""

    def __init__(self, api, cid: str, target: str, listen: str, *, ready_s: float = 30.0):
        self.api, self.cid, self.target, self.listen, self.ready_s = api, cid, target, listen, ready_s
        self._sock: Any = None  # what docker-py's exec_start(socket=True) returns
        self._raw: socket.socket | None = None
        self._conns: dict[int, _Channel] = {}
        self._lock = threading.Lock()  # the channel table
        self._wlock = threading.Lock()  # one writer at a time on the relay's stdin (never held by close)
        self._ready = threading.Event()
        self._closed = False
        self.stderr = b""
        self.opened = 0  # channels served, for tests and stats
        self.error = ""  # why the tunnel ended early, if it did

    def start(self) -> None:
        self.begin()
        self.wait_ready()

    def begin(self) -> None:
        """Start the relay; it comes up while the caller does other work (``wait_ready``)."""
        ex = self.api.exec_create(self.cid, relay.command(self.listen), stdin=True, stdout=True, stderr=True,
                                  user=f"{recipe.UID}:{recipe.UID}", workdir="/tmp")
        self._sock = self.api.exec_start(ex["Id"], socket=True)
        # docker-py hands back the socket of a hijacked response, bare or in a SocketIO
        sock: Any = self._sock
        raw: socket.socket = cast(Any, sock)._sock if isinstance(sock, socket.SocketIO) else sock
        raw.settimeout(None)  # the engine client's read timeout is for requests, not for this stream
        self._raw = raw
        threading.Thread(target=self._read, name=f"llmos-tunnel-{self.cid[:12]}", daemon=True).start()

    def wait_ready(self) -> None:
        """Return once the relay listens, or close and raise SandboxError(io) with its own words."""
        end = time.monotonic() + self.ready_s
        while not self._ready.wait(0.05):
            if self._closed or time.monotonic() > end:
                break
        if not self._ready.is_set() or self._closed:
            why = self.error or self.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no answer"]
            self.close()
            raise SandboxError(f"the kernel channel in the container did not start: {''.join(why)[:300]}",
                               code="io")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._conns = list(self._conns.values()), {}
        for ch in conns:
            _shut(ch.conn)
        if self._raw is not None:
            _shut(self._raw)
        if self._sock is not None and self._sock is not self._raw:
            try:
                self._sock.close()
            except OSError:
                pass
        self._ready.set()

    # -- the reader: frames from the relay -------------------------------------------------------
    def _read(self) -> None:
        buf = bytearray()
        try:
            for stream, data in frames_iter(self._sock, tty=False):
                if stream == 2:
                    self.stderr = (self.stderr + data)[-STDERR_KEPT:]
                    continue
                buf += data
                while len(buf) >= HEADER.size:
                    op, chan, n = HEADER.unpack_from(buf)
                    if n > relay.CHUNK or op not in (OPEN, DATA, CLOSE, READY):
                        raise _Broken(f"bad frame from the relay (op {op}, {n} bytes)")
                    if len(buf) < HEADER.size + n:
                        break
                    payload = bytes(buf[HEADER.size:HEADER.size + n])
                    del buf[:HEADER.size + n]
                    self._frame(op, chan, payload)
        except _Broken as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the stream broke: the container ended or was killed
            if not self._closed:
                self.error = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            self.close()

    def _frame(self, op: int, chan: int, payload: bytes) -> None:
        if op == READY:
            self._ready.set()
        elif op == OPEN:
            self._open(chan)
        elif (ch := self._conns.get(chan)) is None or not ch.writing:
            return  # a channel already ended (the relay may not know yet)
        elif op == DATA:
            try:
                ch.conn.sendall(payload)
            except OSError:  # the kernel's side is gone: end both directions, the pump says so
                ch.writing = False
                _shut(ch.conn, close=False)
        else:  # the container's side will send no more: pass the half-close on
            ch.writing = False
            try:
                ch.conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self._forget(chan, ch)

    def _open(self, chan: int) -> None:
        if chan in self._conns or len(self._conns) >= MAX_CHANNELS:
            self._send(CLOSE, chan)
            return
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(5.0)
            conn.connect(self.target)
            conn.settimeout(None)
        except OSError:
            conn.close()
            self._send(CLOSE, chan)
            return
        ch = _Channel(conn)
        with self._lock:
            if self._closed:
                conn.close()
                return
            self._conns[chan] = ch
        self.opened += 1
        threading.Thread(target=self._pump, args=(chan, ch), name=f"llmos-tunnel-{chan}", daemon=True).start()

    # -- one thread per channel: the kernel's bytes to the relay ------------------------------------
    def _pump(self, chan: int, ch: "_Channel") -> None:
        try:
            while data := ch.conn.recv(relay.CHUNK):
                self._send(DATA, chan, data)
        except OSError:
            pass
        self._send(CLOSE, chan)
        ch.reading = False
        self._forget(chan, ch)

    def _forget(self, chan: int, ch: "_Channel") -> None:
        """Drop a channel once neither direction is open."""
        with self._lock:
            if ch.reading or ch.writing or self._conns.get(chan) is not ch:
                return
            del self._conns[chan]
        _shut(ch.conn)

    def _send(self, op: int, chan: int, data: bytes = b"") -> None:
        with self._wlock:
            if self._closed or self._raw is None:
                return
            try:
                self._raw.sendall(HEADER.pack(op, chan, len(data)) + data)
            except OSError:
                self._closed = True


class _Channel:
    """One relayed connection: the socket to the kernel, and which of its directions are still open."""

    def __init__(self, conn: socket.socket):
        self.conn, self.reading, self.writing = conn, True, True


class _Broken(Exception):
    """The relay sent something that is not a frame."""


def _shut(s, *, close: bool = True) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    if close:
        try:
            s.close()
        except OSError:
            pass
