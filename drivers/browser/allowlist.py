"""Origin allowlist: parse ``[scheme://]host[:port]`` patterns and match URLs and sockets."""
from __future__ import annotations

import urllib.parse
from collections.abc import Iterable

import msgspec

from ..errors import DriverError

WEB_SCHEMES = ("http", "https", "ws", "wss")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class Rule(msgspec.Struct, frozen=True):
    """One parsed pattern.  ``host`` may be ``*`` (any host) or start with ``*.``
    (any subdomain, not the bare domain); ``ports`` empty means any port;
    ``schemes`` empty means http, https, ws and wss."""

    host: str
    ports: frozenset[int] = frozenset()
    schemes: frozenset[str] = frozenset()

    def host_matches(self, host: str) -> bool:
        if self.host == "*":
            return True
        if self.host.startswith("*."):
            return host.endswith(self.host[1:]) and len(host) > len(self.host) - 1
        return host == self.host

    def matches(self, scheme: str, host: str, port: int) -> bool:
        if self.schemes and scheme and scheme not in self.schemes:
            return False
        if self.ports and port not in self.ports:
            return False
        return self.host_matches(host)


def _norm_host(host: str) -> str:
    return host.strip().lower().rstrip(".").strip("[]")


def parse_rule(pattern: str) -> Rule:
    """``example.com`` (ports 80/443), ``example.com:8080``, ``example.com:*``,
    ``*.example.com``, ``https://example.com``, ``127.0.0.1:5000``, ``[::1]:8000``, ``*``."""
    text = pattern.strip()
    if not text:
        raise DriverError("empty allowlist pattern", code="invalid")
    schemes: frozenset[str] = frozenset()
    if "://" in text:
        scheme, text = text.split("://", 1)
        scheme = scheme.lower()
        if scheme not in WEB_SCHEMES:
            raise DriverError(f"allowlist pattern {pattern!r}: scheme must be one of {WEB_SCHEMES}", code="invalid")
        schemes = frozenset({scheme, {"http": "ws", "https": "wss", "ws": "http", "wss": "https"}[scheme]})
    text = text.split("/", 1)[0]
    if text == "*":
        return Rule("*", frozenset(), schemes)
    if text.startswith("["):  # IPv6 literal
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    host = _norm_host(host)
    bare = host.removeprefix("*.")
    if not bare or "*" in bare:
        raise DriverError(f"allowlist pattern {pattern!r}: bad host", code="invalid")
    if port_text == "*":
        ports: frozenset[int] = frozenset()
    elif port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise DriverError(f"allowlist pattern {pattern!r}: bad port", code="invalid")
        ports = frozenset({int(port_text)})
    else:  # no port given: the scheme's default ports
        ports = frozenset(DEFAULT_PORTS[s] for s in schemes) if schemes else frozenset({80, 443})
    return Rule(host, ports, schemes)


class Allowlist:
    """The origins one owner may reach.  Empty allows nothing (fail closed).  ``within`` holds
    further pattern lists (the owner's ancestors' allowlists) that must each allow a URL too."""

    def __init__(self, patterns: Iterable[str] = (), *, within: Iterable[Iterable[str]] = ()):
        self.patterns = [p for p in patterns]
        self.rules = [parse_rule(p) for p in self.patterns]
        self.within = [Allowlist(w) for w in within]

    def key(self) -> list[list[str]]:
        """Every layer's patterns: two allowlists with the same key allow the same origins."""
        return [self.patterns, *(w.patterns for w in self.within)]

    def allows_socket(self, host: str, port: int) -> bool:
        host = _norm_host(host)
        return any(r.matches("", host, port) for r in self.rules) and all(
            w.allows_socket(host, port) for w in self.within)

    def allows_url(self, url: str) -> bool:
        """Only web schemes can be allowed; ``data:``, ``blob:``, ``file:``, ... never are."""
        try:
            parts = urllib.parse.urlsplit(url)
            scheme = parts.scheme.lower()
            host = _norm_host(parts.hostname or "")
            port = parts.port or DEFAULT_PORTS.get(scheme, 0)
        except ValueError:
            return False
        if scheme not in WEB_SCHEMES or not host:
            return False
        return any(r.matches(scheme, host, port) for r in self.rules) and all(w.allows_url(url) for w in self.within)

    def __repr__(self) -> str:
        return f"Allowlist({self.patterns!r})"
