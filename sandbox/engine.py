"""Connecting to the Docker engine, turning every connection failure into one clear SandboxError."""
from __future__ import annotations

import os

from .errors import SandboxError

DEFAULT_URL = "unix:///var/run/docker.sock"


def engine_url(base_url: str | None = None) -> str:
    """The engine address: the argument, else $DOCKER_HOST, else the default socket."""
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_URL


def unavailable(url: str, why: object = "") -> SandboxError:
    detail = f" ({why})" if why else ""
    return SandboxError(
        f"no Docker engine reachable at {url}{detail}; run `make run` as root "
        "(it runs scripts/setup-docker.sh) or start dockerd: "
        "`dockerd --bridge=none --iptables=false --ip-forward=false &`",
        code="unavailable",
        retryable=True,
    )


def connect(base_url: str | None = None, timeout: float = 30.0):
    """A ``docker.DockerClient`` that has answered a ping, or SandboxError(unavailable)."""
    url = engine_url(base_url)
    try:
        import docker
    except ImportError as exc:  # the dependency is declared; this is a broken install
        raise SandboxError(
            "the `docker` Python package is missing; reinstall llmos (pip install docker==7.2.0)",
            code="unavailable",
        ) from exc
    try:
        client = docker.DockerClient(base_url=url, timeout=timeout)
        client.ping()
    except Exception as exc:  # DockerException, ConnectionError, FileNotFoundError, ...
        raise unavailable(url, _short(exc)) from exc
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
