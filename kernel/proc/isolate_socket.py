"""One isolated process's syscall socket: a token-guarded Unix socket whose frames are dispatched as that process.

The socket is 0600 in a fresh 0700 folder of the kernel's user, so no other local user can reach it.
For a peer with another uid (a jailed app's own uid) it is handed to that uid when the kernel may
(it runs as root); otherwise it is opened to the peer while the 0700 folder still keeps host users
out (the jail reaches it through its bind mount, not through the folder).  An app container connects
through the sandbox's channel (sandbox/tunnel.py), a connection the kernel makes itself.  Nothing a client
sends, hello included, ends more than its own connection: frames are bounded like the kernel API's
(kernel/syscall/framing.py) and every failure closes that connection only."""
from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import msgspec
import structlog

from kernel.errors import ProcessExit
from kernel.syscall.dispatch import dispatch, validate
from kernel.syscall.framing import ByteBudget, FrameError, FrameReader, too_deep
from syscalls import Empty
from syscalls.errors import SyscallError, WireError
from syscalls.proc import Exit
from syscalls.transport import MAX_FRAME, CallFrame, reply_frame, write_frame

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process


MAX_CLIENTS = 8  # an app needs one connection; a few more are tolerated, the rest refused
MAX_BUFFERED = 2 * MAX_FRAME  # bytes of unfinished frames, all of this socket's clients together
HELLO_MAX = 4096  # the hello is {"hello": "<32 hex digits>"}
FRAME_SECONDS = 30.0

_log = structlog.get_logger("llmos.isolate")


class _Hello(msgspec.Struct):
    hello: str


class SyscallSocket:
    """Serve ``proc``'s syscalls on a socket in a private folder; a client must first send the token.
    ``peer_uid``: the uid the app runs as when it is not the kernel's own (a jailed app's uid).
    ``proc.exit`` is answered, then recorded in ``exit`` and ``on_exit`` is called."""

    def __init__(self, k: "Kernel", proc: "Process", *, peer_uid: int | None = None):
        self.k, self.proc = k, proc
        # AF_UNIX paths are short (108 bytes): a folder under the temp dir, not the llmos home.
        # mkdtemp makes it 0700, owned by us, under a name nobody could guess or take first.
        self.dir = Path(tempfile.mkdtemp(prefix=f"llmos-{proc.pid}-"))
        self.path = str(self.dir / "sys.sock")
        self.peer_uid = peer_uid
        self.token = secrets.token_hex(16)
        self.exit: ProcessExit | None = None
        self.on_exit: Callable[[], None] = lambda: None
        self.clients = 0
        self.refused = 0
        self.budget = ByteBudget(MAX_BUFFERED)

    async def serve(self, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            old = os.umask(0o177)  # born 0600: never a moment when others could connect
            try:
                listener = await anyio.create_unix_listener(self.path)
            finally:
                os.umask(old)
            self._open_to_peer()
            task_status.started()
            async with listener, anyio.create_task_group() as tg:
                while True:
                    try:
                        stream = await listener.accept()
                    except OSError:  # out of descriptors: let some close
                        await anyio.sleep(0.1)
                        continue
                    if self.clients >= MAX_CLIENTS:
                        self.refused += 1
                        with contextlib.suppress(Exception):
                            await stream.aclose()
                        continue
                    self.clients += 1
                    tg.start_soon(self._client, stream)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _open_to_peer(self) -> None:
        """Let ``peer_uid`` connect: its own socket (0600) when we may chown, else 0666 behind the 0700 folder."""
        if self.peer_uid is None or self.peer_uid == os.geteuid():
            return
        try:
            os.chown(self.path, self.peer_uid, -1)
        except PermissionError:  # not root: the folder (0700, ours) is what keeps other users out
            os.chmod(self.path, 0o666)

    async def drain(self, timeout: float = 1.0) -> None:
        """Wait (briefly) until every client has hung up, so none is cut off mid-read; asyncio
        reports a spurious InvalidStateError when a stream closes and is cancelled at once."""
        with anyio.move_on_after(timeout):
            while self.clients:
                await anyio.sleep(0.01)

    async def _client(self, stream: anyio.abc.SocketStream) -> None:
        reader = FrameReader(stream, self.budget, max_frame=MAX_FRAME, frame_seconds=FRAME_SECONDS)
        try:
            async with stream:
                await self._talk(stream, reader)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError, FrameError):
            pass  # the client went away or broke a bound
        except Exception as exc:  # noqa: BLE001 - one connection's failure ends that connection only
            _log.warning("isolate.connection_failed", pid=self.proc.pid, error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            reader.release()
            self.clients -= 1

    async def _talk(self, stream: anyio.abc.SocketStream, reader: FrameReader) -> None:
        reader.max_frame = HELLO_MAX
        first = await reader.read()
        if first is None or not self._hello_ok(first):
            await write_frame(stream, reply_frame(0, err=WireError(
                code="permission", message="bad or missing token on the syscall socket")))
            return
        reader.max_frame = MAX_FRAME
        while (payload := await reader.read()) is not None:
            await write_frame(stream, await self._one(payload))
            if self.exit is not None:
                return

    def _hello_ok(self, payload: bytes) -> bool:
        if too_deep(payload):
            return False
        try:
            token = msgspec.json.decode(payload, type=_Hello).hello
        except Exception:  # noqa: BLE001 - any bytes that are not a hello are a refused hello
            return False
        return hmac.compare_digest(token.encode("utf-8", "replace"), self.token.encode())

    async def _one(self, payload: bytes) -> bytes:
        if too_deep(payload):
            return reply_frame(0, err=WireError(code="invalid", message="malformed syscall frame: nested too deeply"))
        try:
            frame = msgspec.json.decode(payload, type=CallFrame)
        except Exception as exc:  # noqa: BLE001 - DecodeError, ValidationError, UnicodeDecodeError ...
            return reply_frame(0, err=WireError(code="invalid", message=f"malformed syscall frame: {exc}"[:500]))
        try:
            req = validate(bytes(frame.req))
            if isinstance(req, Exit):
                # ending itself is what returning does in the kernel: no grant needed for it
                self.k.events.emit("syscall", self.proc.pid, call="proc.exit", ok=True, status=req.status)
                raise ProcessExit(req.result, req.status)
            reply = await dispatch(self.k, self.proc, req)
        except SyscallError as exc:
            return reply_frame(frame.id, err=exc.to_wire())
        except ProcessExit as exc:
            self.exit = exc
            self.on_exit()
            return reply_frame(frame.id, Empty())
        return reply_frame(frame.id, reply)
