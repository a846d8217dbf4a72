"""Shared by the sandbox and security suites: a real engine, the image, one Sandbox per session."""
from __future__ import annotations

import os
import uuid

import anyio
import pytest

from sandbox import Sandbox, SandboxError, build_image, image_exists, image_tag
from sandbox.engine import connect

# One kernel id for the whole pytest process, so each suite's reap_orphans() spares the other's.
KERNEL_ID = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)


def docker_client():
    """A connected client, or skip (fail under CI) with the reason."""
    try:
        client = connect()
    except SandboxError as exc:
        _missing(f"no Docker engine: {exc}")
    if not image_exists(client, image_tag()):
        if os.geteuid() != 0:
            _missing(f"sandbox image {image_tag()} missing; run `python -m sandbox build` as root")
        try:
            build_image(progress=False)
        except SandboxError as exc:
            _missing(f"sandbox image could not be built: {exc}")
    return client


def session_sandbox():
    """Generator body for a session fixture: a started Sandbox, closed and checked at the end."""
    client = docker_client()
    sb = Sandbox(kernel_id=KERNEL_ID, pool_size=2, idle_s=600)
    anyio.run(lambda: sb.start(wait_warm=True))
    try:
        yield sb
    finally:
        anyio.run(sb.close)
        left = client.containers.list(all=True, filters={"label": f"llmos.kernel={KERNEL_ID}"})
        # the other suite's Sandbox shares the kernel id and may still be open
        client.close()
        assert all(c.labels.get("llmos.role") == "pool" for c in left), left


def labelled(client, **labels) -> list:
    flt = [f"{k.replace('_', '.')}={v}" for k, v in labels.items()]
    return client.containers.list(all=True, filters={"label": flt})
