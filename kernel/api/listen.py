"""What the kernel API's TCP listener needs before it opens: its address, its token and its TLS context.

The token: ``$LLMOS_KERNEL_TOKEN``, else the file ``kernel_token_file`` names, else ``kernel.token`` in
the home, made (32 random bytes, hex, mode 0600) the first time a kernel listens.  A token file that
others may read, or a token too short to resist guessing, stops the boot (``ListenError``)."""
from __future__ import annotations

import ipaddress
import os
import secrets
import ssl
import stat
from collections.abc import Mapping
from pathlib import Path

TOKEN_FILE = "kernel.token"
TOKEN_ENV = "LLMOS_KERNEL_TOKEN"
MIN_TOKEN = 16  # characters


class ListenError(ValueError):
    """The listener cannot open as configured; the message says why in one line."""


def parse_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as (host, port); ValueError with a reason otherwise."""
    text = text.strip()
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:7070, or [::1]:7070)")
    if not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: the port must be from 0 to 65535")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cleartext_warning(host: str, tls: bool) -> str | None:
    """The warning for a listener other machines can reach without TLS: the token crosses in clear."""
    if tls or is_loopback(host):
        return None
    return (f"the kernel API listens on {host} without TLS: its token and every request cross the network "
            "in clear text; give it --tls-cert and --tls-key (docs/security.md)")


def _read_private(path: Path) -> str:
    try:
        st = path.stat()
    except OSError as exc:
        raise ListenError(f"kernel token file {path}: {(exc.strerror or str(exc)).lower()}") from None
    if st.st_mode & 0o077:
        raise ListenError(f"kernel token file {path} may be read by others (mode {stat.S_IMODE(st.st_mode):o}); "
                          f"`chmod 600 {path}`")
    return path.read_text(encoding="utf-8", errors="replace").strip()


def _make(path: Path) -> str:
    token = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another boot made it first: use that one
        return _read_private(path)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token


def load_token(home: Path, token_file: str = "", env: Mapping[str, str] | None = None) -> str:
    """The token every TCP connection must present (see the module's docstring for where it comes from)."""
    given: Mapping[str, str] = os.environ if env is None else env
    if given.get(TOKEN_ENV):
        token, where = given[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    elif token_file:
        token, where = _read_private(Path(token_file).expanduser()), f"kernel token file {token_file}"
    else:
        path = home / TOKEN_FILE
        token, where = (_read_private(path) if path.exists() else _make(path)), f"kernel token file {path}"
    if len(token) < MIN_TOKEN:
        raise ListenError(f"{where} holds a token of {len(token)} characters; it needs at least {MIN_TOKEN}")
    return token


def server_tls(cert: str, key: str) -> ssl.SSLContext | None:
    """The TLS context for ``cert`` and ``key`` (None when neither is given)."""
    if not cert and not key:
        return None
    if not (cert and key):
        raise ListenError("TLS needs both a certificate and its key (--tls-cert and --tls-key)")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(Path(cert).expanduser(), Path(key).expanduser())
    except (OSError, ssl.SSLError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ListenError(f"cannot load the TLS certificate {cert} with key {key}: {why}") from None
    return ctx


class ListenPlan:
    """Where and how the TCP listener opens, all checked before the kernel boots."""

    def __init__(self, host: str, port: int, token: str, tls: ssl.SSLContext | None):
        self.host, self.port, self.token, self.tls = host, port, token, tls

    def __repr__(self) -> str:  # never the token
        return f"ListenPlan({self.host}:{self.port}, tls={self.tls is not None})"


def prepare(address: str, home: Path, *, token_file: str = "", cert: str = "", key: str = "",
            env: Mapping[str, str] | None = None) -> ListenPlan | None:
    """The plan for ``address`` (None when it is empty); ``ListenError`` when it cannot work."""
    if not address.strip():
        if cert or key:
            raise ListenError("a TLS certificate is configured but no --listen address to serve it on")
        return None
    try:
        host, port = parse_address(address)
    except ValueError as exc:
        raise ListenError(f"--listen {exc}") from None
    tls = server_tls(cert, key)
    return ListenPlan(host, port, load_token(home, token_file, env), tls)
