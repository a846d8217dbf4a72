"""The in-container end of the kernel channel: a relay that serves a Unix socket in the container and carries
each of its connections over its own stdin/stdout, which the host attaches through the Docker API.

No host path is mounted and the container has no network: the only thing that crosses is this byte stream.
It runs as ``python3 -I -c SOURCE PATH`` (uid 1000, one process, one thread: it spends one of the
container's pids) started by ``docker exec`` before the app; the host side is ``sandbox/tunnel.py``.

Wire format, both ways: a 9-byte header ``>BII`` (op, channel, payload length), then the payload.
``OPEN`` (relay to host) announces a new connection, ``DATA`` carries bytes of one connection, ``CLOSE``
ends one direction of one (the sender's: the other side then shuts down its writing half, so a client's
half-close reaches the server), ``READY`` (relay to host, once) says the socket is listening.  The host checks
every frame: the relay runs in the container, next to the code it serves, and is trusted no more than it."""
from __future__ import annotations

import struct

HEADER = struct.Struct(">BII")
OPEN, DATA, CLOSE, READY = 1, 2, 3, 4
CHUNK = 65536  # the relay never sends a payload larger than this

SOURCE = r"""
import os, selectors, socket, struct, sys
H = struct.Struct(">BII")
OPEN, DATA, CLOSE, READY = 1, 2, 3, 4
path = sys.argv[1]
os.umask(0o177)  # the socket is born 0600: the container's user's alone
lst = socket.socket(socket.AF_UNIX)
lst.bind(path)
lst.listen(16)
sel = selectors.DefaultSelector()
sel.register(lst, selectors.EVENT_READ, 0)
sel.register(0, selectors.EVENT_READ, -1)
conns, nxt, inbuf = {}, 0, bytearray()  # channel -> [socket, still reading, still writing]
def send(op, chan, data=b""):
    buf = memoryview(H.pack(op, chan, len(data)) + data)
    while buf:
        buf = buf[os.write(1, buf):]
def end(chan, rd=False, wr=False):
    st = conns.get(chan)
    if st is None:
        return
    if rd and st[1]:
        st[1] = False
        sel.unregister(st[0])
        send(CLOSE, chan)
    if wr and st[2]:
        st[2] = False
        try:
            st[0].shutdown(socket.SHUT_WR)
        except OSError:
            pass
    if not st[1] and not st[2]:
        del conns[chan]
        st[0].close()
send(READY, 0)
while True:
    for key, _ in sel.select():
        if key.data == 0:
            try:
                c, _ = lst.accept()
            except OSError:
                continue
            nxt += 1
            conns[nxt] = [c, True, True]
            sel.register(c, selectors.EVENT_READ, nxt)
            send(OPEN, nxt)
        elif key.data == -1:
            data = os.read(0, 65536)
            if not data:
                sys.exit(0)
            inbuf += data
            while len(inbuf) >= 9:
                op, chan, n = H.unpack_from(inbuf)
                if len(inbuf) < 9 + n:
                    break
                payload = bytes(inbuf[9:9 + n])
                del inbuf[:9 + n]
                st = conns.get(chan)
                if st is None or not st[2]:
                    continue
                if op == DATA:
                    try:
                        st[0].sendall(payload)
                    except OSError:
                        end(chan, rd=True, wr=True)
                else:
                    end(chan, wr=True)
        else:
            chan = key.data
            try:
                data = conns[chan][0].recv(65536)
            except OSError:
                data = b""
            if data:
                send(DATA, chan, data)
            else:
                end(chan, rd=True)
"""


def command(path: str) -> list[str]:
    """The argv that starts the relay on ``path`` inside the container."""
    return ["python3", "-I", "-c", SOURCE, path]
