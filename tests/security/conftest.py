"""Fixtures for the security tests: one real Sandbox per session that the attacks run in."""
from __future__ import annotations

import pytest

from tests.sandbox.sandbox_support import docker_client, session_sandbox


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def sb():
    yield from session_sandbox()


@pytest.fixture(scope="session")
def engine(sb):
    client = docker_client()
    yield client
    client.close()
