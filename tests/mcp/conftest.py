"""Fixtures for the MCP tests: the demo server's configuration and a kernel that can reach it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent / "demo_server.py"


def demo_config(**over) -> dict:
    cfg = {"command": sys.executable, "args": [str(SERVER)], "env": {"DEMO_GREETING": "hello"},
           "timeout": 3.0, "start_timeout": 30.0, "backoff": 0.2}
    cfg.update(over)
    return cfg


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def mcp_kernel(kernel_factory):
    """``mcp_kernel(**server_overrides)``: a kernel with the "mcp" step and the demo server as ``demo``."""
    def make(servers: dict | None = None, **over):
        return kernel_factory(subsystems=["mcp"], mcp_servers=servers or {"demo": demo_config(**over)})
    return make
