"""Reaching a kernel over TCP (``llmos --kernel HOST:PORT``, ``$LLMOS_KERNEL``): its token, TLS, one-line errors.

The token comes from ``$LLMOS_KERNEL_TOKEN``, else the file ``--token-file`` / ``$LLMOS_KERNEL_TOKEN_FILE``
names, else ``kernel.token`` in this machine's llmos home.  There is no flag that takes the token
itself: a command line is visible to every user in ``ps``.  TLS is used for ``tls://HOST:PORT`` and
whenever a CA is given (``--tls-ca`` / ``$LLMOS_KERNEL_CA``); the kernel's certificate is checked
against that CA, or the system's store, and must name the host.  Reaching the kernel and showing the
token are bounded by ``$LLMOS_KERNEL_TIMEOUT`` seconds (10)."""
from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio
import msgspec
from anyio.streams.tls import TLSStream

from kernel.api import messages as m
from kernel.api.listen import TOKEN_ENV, TOKEN_FILE, parse_address
from kernel.config import default_home
from syscalls.transport import read_frame, write_frame

KERNEL_ENV, TOKEN_FILE_ENV, CA_ENV, TIMEOUT_ENV = "LLMOS_KERNEL", "LLMOS_KERNEL_TOKEN_FILE", "LLMOS_KERNEL_CA", \
    "LLMOS_KERNEL_TIMEOUT"
TIMEOUT = 10.0

_decoder = msgspec.json.Decoder(m.AnyMessage)
_given: dict[str, str] = {}  # the CLI's global flags (configure), over the environment


class Unreachable(Exception):
    """The kernel at a TCP address could not be reached or refused us; the message is one line."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    tls: bool = False
    ca: str = ""
    token_file: str = ""
    timeout: float = TIMEOUT

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'tls://' if self.tls else ''}{host}:{self.port}"


def configure(kernel: str | None = None, token_file: str | None = None, ca: str | None = None) -> None:
    """The CLI's ``--kernel``, ``--token-file`` and ``--tls-ca`` (each over its environment variable)."""
    _given.clear()
    for key, value in (("kernel", kernel), ("token_file", token_file), ("ca", ca)):
        if value:
            _given[key] = value


def target(environ: Mapping[str, str] | None = None) -> Target | None:
    """The TCP kernel this command drives, or None for the local socket; ``Unreachable`` for a bad address."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    address = (_given.get("kernel") or env.get(KERNEL_ENV, "")).strip()
    if not address:
        return None
    scheme, sep, rest = address.partition("://")
    if sep and scheme not in ("tls", "tcp"):
        raise Unreachable(f"--kernel {address}: use HOST:PORT, or tls://HOST:PORT for TLS")
    ca = _given.get("ca") or env.get(CA_ENV, "")
    try:
        host, port = parse_address(rest if sep else address)
        timeout = float(env.get(TIMEOUT_ENV) or TIMEOUT)
    except ValueError as exc:
        raise Unreachable(f"--kernel {exc}") from None
    return Target(host, port, tls=scheme == "tls" or bool(ca), ca=ca,
                  token_file=_given.get("token_file") or env.get(TOKEN_FILE_ENV, ""), timeout=timeout)


def token(t: Target, environ: Mapping[str, str] | None = None) -> str:
    env: Mapping[str, str] = os.environ if environ is None else environ
    if env.get(TOKEN_ENV):
        return env[TOKEN_ENV].strip()
    path = Path(t.token_file).expanduser() if t.token_file else default_home() / TOKEN_FILE
    try:
        value = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError as exc:
        if t.token_file:
            raise Unreachable(f"token file {path}: {(exc.strerror or str(exc)).lower()}") from None
        raise Unreachable(f"the kernel API at {t.label} needs its token: give --token-file FILE "
                          f"or set {TOKEN_ENV} (the kernel keeps it in kernel.token in its home)") from None
    if not value:
        raise Unreachable(f"token file {path} is empty")
    return value


def client_tls(t: Target) -> ssl.SSLContext:
    try:
        ctx = ssl.create_default_context(cafile=str(Path(t.ca).expanduser()) if t.ca else None)
    except (OSError, ssl.SSLError) as exc:
        raise Unreachable(f"--tls-ca {t.ca}: {getattr(exc, 'strerror', None) or exc}") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


async def open_stream(t: Target) -> anyio.abc.ByteStream:
    """A connection to the kernel at ``t`` that has shown its token, or ``Unreachable``, within ``t.timeout``."""
    secret = token(t)
    ctx = client_tls(t) if t.tls else None
    try:
        with anyio.fail_after(t.timeout):
            return await _handshake(t, secret, ctx)
    except TimeoutError:
        raise Unreachable(f"the kernel API at {t.label} did not answer within {t.timeout:g} s") from None


async def _handshake(t: Target, secret: str, ctx: ssl.SSLContext | None) -> anyio.abc.ByteStream:
    try:
        raw = await anyio.connect_tcp(t.host, t.port)
    except OSError as exc:
        cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc  # anyio: "all attempts failed" from why
        # errno's own words ("connection refused"), not asyncio's "Connect call failed (...)"; a name that does
        # not resolve has a negative (getaddrinfo) code and its own strerror
        why = os.strerror(cause.errno) if cause.errno and cause.errno > 0 else (cause.strerror or str(cause))
        raise Unreachable(f"cannot reach the kernel API at {t.label}: {why.lower()}") from None
    stream: anyio.abc.ByteStream = raw
    try:
        if ctx is not None:
            stream = await _tls(t, raw, ctx)
        await write_frame(stream, msgspec.json.encode(m.Auth(token=secret)))
        reply = await read_frame(stream, bytearray())
    except Unreachable:
        await anyio.aclose_forcefully(stream)
        raise
    except (OSError, ValueError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
        await anyio.aclose_forcefully(stream)
        raise Unreachable(f"the kernel API at {t.label} broke off the connection ({type(exc).__name__}); "
                          f"{_hint(t)}") from None
    if reply is None:
        await anyio.aclose_forcefully(stream)
        raise Unreachable(f"the kernel API at {t.label} closed the connection before answering; {_hint(t)}")
    try:
        msg = _decoder.decode(reply)
    except (msgspec.DecodeError, msgspec.ValidationError):
        msg = m.Error(code="bad_reply", message="its answer is not the kernel API's")
    if isinstance(msg, m.Error):
        await anyio.aclose_forcefully(stream)
        raise Unreachable(f"the kernel API at {t.label} refused this connection: "
                          f"{msg.message.removeprefix('the kernel refused this connection: ')}"[:300])
    return stream


async def _tls(t: Target, raw: anyio.abc.SocketStream, ctx: ssl.SSLContext) -> anyio.abc.ByteStream:
    try:
        return await TLSStream.wrap(raw, hostname=t.host, ssl_context=ctx, standard_compatible=False)
    except ssl.SSLCertVerificationError as exc:
        await anyio.aclose_forcefully(raw)
        raise Unreachable(f"the kernel API at {t.label} showed a TLS certificate this machine does not trust "
                          f"({exc.verify_message}); give --tls-ca with the certificate that signed it") from None
    except (OSError, anyio.BrokenResourceError, anyio.EndOfStream) as exc:
        await anyio.aclose_forcefully(raw)
        raise Unreachable(f"TLS with the kernel API at {t.label} failed ({type(exc).__name__}); "
                          "does it serve TLS? (drop tls:// and --tls-ca if not)") from None


def _hint(t: Target) -> str:
    return ("check the address and its token" if t.tls else
            "if it serves TLS, use tls://HOST:PORT (and --tls-ca); else check the address and its token")
