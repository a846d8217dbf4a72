"""How one MCP server is configured: a stdio command (args, env, cwd) or a streamable HTTP URL."""
from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

SERVER_NAME = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"  # no dots: tools are offered as "server.tool"


class SpecError(ValueError):
    """A server's configuration is wrong; the message names the server and the key."""


class ServerSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(pattern=SERVER_NAME)]
    command: str = ""  # stdio: the executable ...
    args: list[str] = []  # ... its arguments
    env: dict[str, str] = {}  # ... extra environment (merged over a minimal safe one)
    cwd: str = ""
    url: str = ""  # or streamable HTTP: http(s)://host:port/mcp
    headers: dict[str, str] = {}  # HTTP only
    timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 30.0  # one tool call, seconds
    start_timeout: Annotated[float, msgspec.Meta(gt=0, le=600)] = 20.0  # start and handshake, seconds
    backoff: Annotated[float, msgspec.Meta(gt=0, le=60)] = 0.5  # first restart delay, doubled per crash
    backoff_max: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 30.0
    max_restarts: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 5  # crashes in a row before it waits for demand

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"


def spec_of(name: str, raw: Any) -> ServerSpec:
    """A validated ``ServerSpec`` from a config table; errors name the server and the key."""
    if isinstance(raw, ServerSpec):
        return raw
    if not isinstance(raw, dict):
        raise SpecError(f"mcp server {name!r}: expected a table, got {type(raw).__name__}")
    try:
        spec = msgspec.convert({**raw, "name": name}, ServerSpec)
    except msgspec.ValidationError as exc:
        msg = str(exc)
        m = re.search(r"- at `\$\.?(.*)`$", msg)
        where = f" key '{m.group(1)}'" if m and m.group(1) else ""
        raise SpecError(f"mcp server {name!r}{where}: {msg[:m.start()].strip() if m else msg}") from None
    if bool(spec.command) == bool(spec.url):
        raise SpecError(f"mcp server {name!r}: give exactly one of 'command' (stdio) or 'url' (streamable HTTP)")
    if spec.url and not re.match(r"^https?://", spec.url):
        raise SpecError(f"mcp server {name!r} key 'url': expected an http(s):// URL, got {spec.url!r}")
    return spec
