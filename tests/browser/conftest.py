"""Fixtures for the browser tests: one Chromium per test session, demo sites on loopback."""
from __future__ import annotations

import itertools
import os

import pytest

from drivers.browser import BrowserDriver, find_chromium
from tests.sites.server import SITES, serve

_owner_ids = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"  # Playwright's async API runs on asyncio only


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        msg = "Chromium is missing: run scripts/setup-chromium.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def site():
    with serve(SITES) as s:
        yield s


@pytest.fixture(scope="session")
def _foreign_other_ip():
    with serve(SITES, host="127.0.0.2") as s:
        yield s


@pytest.fixture(scope="session")
def _foreign_other_port():
    with serve(SITES, host="127.0.0.1") as s:
        yield s


@pytest.fixture
def foreign(_foreign_other_ip):
    """Another origin (127.0.0.2, any port); hits counted from zero for each test."""
    _foreign_other_ip.reset()
    return _foreign_other_ip


@pytest.fixture
def foreign_port(_foreign_other_port):
    """The same host as ``site`` on another port: a different origin."""
    _foreign_other_port.reset()
    return _foreign_other_port


@pytest.fixture(scope="session")
async def driver(chromium):
    d = BrowserDriver(executable=chromium, nav_timeout=10.0)
    yield d
    await d.close()


@pytest.fixture
async def owner(driver):
    """A fresh process id; its browser context is released after the test."""
    pid = f"pid-{next(_owner_ids)}"
    yield pid
    await driver.release(pid)


@pytest.fixture
def allow(site) -> list[str]:
    return [site.origin]
