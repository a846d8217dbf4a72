"""Chromium crashing under a process: a typed error, a new browser on the next open; and the vector
store going unwritable (disk full, read-only): a typed error, nothing lost."""
import os
import signal
import subprocess

import anyio
import pytest

from drivers.browser import BrowserDriver, find_chromium
from drivers.errors import DriverError
from kernel.errors import from_driver
from kernel.reliability.recovery import remove_dead_profiles
from tests.conftest import require
from tests.sites.server import SITES, serve

pytestmark = pytest.mark.anyio


def _ppid(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _mine(pid: int) -> bool:
    """Is ``pid`` a descendant of this test process (never touch anyone else's browser)?"""
    me, seen = os.getpid(), set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        pid = _ppid(pid)
        if pid == me:
            return True
    return False


def _mine_matching(match) -> list[int]:
    out = []
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                raw = f.read()  # Chromium's helpers rewrite theirs as one string: search it whole
        except OSError:
            continue
        if match(raw) and _mine(int(d)):
            out.append(int(d))
    return out


def _my_chromium() -> list[int]:
    return _mine_matching(lambda raw: b"chrom" in raw.split(b"\0")[0] and b"--type=" not in raw)


def _my_drivers() -> list[int]:
    """Playwright's driver processes (node ... run-driver) started by this test process."""
    return _mine_matching(lambda raw: b"run-driver" in raw)


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_chromium_crash_is_a_typed_error_and_the_next_open_relaunches():
    path = find_chromium()
    require(path is not None, "Chromium")
    with serve(SITES) as site:
        d = BrowserDriver(executable=path, nav_timeout=10)
        others = set(_my_chromium())  # browsers of other tests in this run (module fixtures) are not ours
        other_drivers = set(_my_drivers())
        try:
            page = await d.open("p1", site.url + "/basic/index.html", [site.origin])
            assert page.elements
            (main,) = set(_my_chromium()) - others
            os.kill(main, signal.SIGKILL)
            with anyio.fail_after(10):
                while d.owners():  # the driver notices the browser is gone and forgets its contexts
                    await anyio.sleep(0.05)
            with pytest.raises(DriverError) as err:
                await d.snapshot("p1")
            mapped = from_driver(err.value)
            assert mapped.code == "invalid" and "open(url)" in mapped.message
            again = await d.open("p1", site.url + "/basic/index.html", [site.origin])  # a fresh Chromium
            assert again.elements and _my_chromium() and main not in _my_chromium()
            assert len(set(_my_drivers()) - other_drivers) == 1  # the dead browser's driver was stopped
        finally:
            await d.close()


def test_dead_profiles_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = os.uname().nodename
    for name, pid in (("dead", dead.pid), ("live", os.getpid())):
        d = tmp_path / f"playwright_chromiumdev_profile-{name}"
        d.mkdir()
        os.symlink(f"{host}-{pid}", d / "SingletonLock")
    (tmp_path / "playwright_chromiumdev_profile-nolock").mkdir()  # being created: left alone
    assert remove_dead_profiles([tmp_path]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["playwright_chromiumdev_profile-live",
                                                          "playwright_chromiumdev_profile-nolock"]
