"""Connecting to the Docker engine, local or on another host, turning every connection failure into one clear
SandboxError that names the address, within a bounded time."""
from __future__ import annotations

import os

from .errors import SandboxError

DEFAULT_URL = "unix:///var/run/docker.sock"
CONNECT_TIMEOUT = 10.0  # seconds an engine gets to answer the first ping (refused: at once)
# The engine version the ping speaks: every engine llmos can use answers it.
PING_API_VERSION = "1.24"


def engine_url(base_url: str | None = None) -> str:
    """The engine address: the argument, else $DOCKER_HOST, else the default socket."""
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_URL


def is_local(url: str) -> bool:
    """Whether the engine shares this host (a Unix socket); a TCP or SSH engine may be anywhere."""
    return url.startswith("unix://") or url.startswith("/")


def unavailable(url: str, why: object = "") -> SandboxError:
    detail = f": {why}" if why else ""
    fix = ("run `make run` as root (it runs scripts/setup-docker.sh) or start dockerd: "
           "`dockerd --bridge=none --iptables=false --ip-forward=false &`" if is_local(url) else
           "check that dockerd listens there (`dockerd -H tcp://...`) and that this host may reach it")
    return SandboxError(f"docker engine {url} unreachable{detail}; {fix}", code="unavailable", retryable=True)


def connect(base_url: str | None = None, timeout: float = 30.0, *, connect_timeout: float = CONNECT_TIMEOUT):
    """A ``docker.DockerClient`` that has answered a ping within ``connect_timeout`` seconds, or
    SandboxError(unavailable).  ``timeout`` bounds each later request (long runs read for a while)."""
    url = engine_url(base_url)
    try:
        import docker
    except ImportError as exc:  # the dependency is declared; this is a broken install
        raise SandboxError(
            "the `docker` Python package is missing; reinstall llmos (pip install docker==7.2.0)",
            code="unavailable",
        ) from exc
    probe = None
    try:
        # a fixed old API version: no version request while constructing, and the ping's own
        # short timeout bounds an engine that accepts connections and never answers
        probe = docker.APIClient(base_url=url, version=PING_API_VERSION, timeout=connect_timeout)
        probe.ping()
        version = probe.version(api_version=False)["ApiVersion"]
        client = docker.DockerClient(base_url=url, version=version, timeout=timeout)
    except Exception as exc:  # DockerException, ConnectionError, ReadTimeout, FileNotFoundError, ...
        raise unavailable(url, _short(exc)) from exc
    finally:
        if probe is not None:
            probe.close()
    return client


def _short(exc: BaseException) -> str:
    """The useful end of a requests/urllib3 error chain, on one line."""
    text = " ".join(str(exc).split())
    for marker in ("Failed to establish a new connection: ", "Read timed out", "Connection aborted"):
        i = text.find(marker)
        if i >= 0:
            text = text[i:].replace("Failed to establish a new connection: ", "")
            break
    return (text.strip(" ')\"") or type(exc).__name__)[:200]
