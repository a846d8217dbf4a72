"""Fixtures for the browser tests: one Chromium per test session, demo sites on loopback."""
from __future__ import annotations

import itertools
import json
import os

import pytest

from apps import AppRegistry
from drivers.browser import BrowserDriver, find_chromium
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
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


# ---- a kernel with the browser subsystem, for tests through the syscalls -------------------------
SURFER = '''"""A test app that idles: the test issues browser syscalls as this process."""
import asyncio


async def run(sys, task):
    await asyncio.sleep(3600)
'''


def write_app(root, name: str, *, syscalls: list[str], browser: list[str], code: str = SURFER,
              entry: str = "main:run", extra: str = "") -> None:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(
        f'name = "{name}"\nentry = "{entry}"\n\n[permissions]\nsyscalls = {json.dumps(syscalls)}\n'
        f'browser = {json.dumps(browser)}\nmemory = ["user:*"]\nfiles = ["**"]\n{extra}')
    (folder / "main.py").write_text(code)


@pytest.fixture(scope="module")
async def bkernel(chromium, site, tmp_path_factory):
    """One kernel per test module, on the scripted engine, with the browser subsystem attached.
    Apps: ``surfer`` (may load ``site`` only) and ``blind`` (granted browser.* but no origin)."""
    root = tmp_path_factory.mktemp("bkernel")
    write_app(root / "apps", "surfer", syscalls=["browser.*", "llm.*", "fs.*"], browser=[site.origin])
    write_app(root / "apps", "blind", syscalls=["browser.*"], browser=[])
    write_app(root / "apps", "nobrowse", syscalls=["llm.*"], browser=[site.origin])
    engine = ScriptedEngine(default="(no scripted reply)")
    k = Kernel(KernelConfig(home=str(root / "home"), subsystems=["browser"]), engine=engine,
               registry=AppRegistry(extra_dirs=[root / "apps"]))
    async with k:
        k.browser.nav_timeout = 10.0
        yield k


@pytest.fixture
async def surf(bkernel):
    """``(proc, sys)`` for a fresh idle ``surfer`` process; killed after the test."""
    procs = []

    async def start(app: str = "surfer"):
        pid = await bkernel.spawn(app)
        proc = bkernel.ptable.get(pid)
        procs.append(proc)
        return proc, bkernel.sys_for(proc)

    yield start
    for p in procs:
        if p.alive:
            bkernel.signal(p.pid, "KILL")
        await p.done.wait()
