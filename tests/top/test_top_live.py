"""top on a real daemon: a process appears, `K` kills it (its row stays, ended), and a halted kernel is reported
plainly."""
from __future__ import annotations

import anyio
import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerCancelled

from llmos.client import Client
from llmos.top import LiveSource, TopApp
from tests.daemon.harness import Home

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def booted():
    h = Home()
    try:
        assert h.llmos("boot").returncode == 0
        yield h
    finally:
        h.teardown()


async def until(pilot, app, cond, timeout: float = 30) -> None:
    with anyio.fail_after(timeout):
        while not cond():
            app.refresh_data()
            await pilot.pause(0.2)
            try:
                await app.workers.wait_for_complete()
            except WorkerCancelled:  # a refresh still running when this one began is cancelled (exclusive)
                pass


async def test_live_rows_kill_and_kernel_gone(booted):
    async with Client(booted.path) as c:
        pid = await c.spawn("assistant", "slow live row")
        app = TopApp(LiveSource(booted.path), interval=0.5)
        async with app.run_test(size=(140, 30)) as pilot:
            table = app.query_one(DataTable)
            await until(pilot, app, lambda: str(pid) in [k.value for k in table.rows])
            await pilot.press("K")

            def cell(col: str) -> str:
                return str(table.get_cell(str(pid), col)) if str(pid) in [k.value for k in table.rows] else ""
            await until(pilot, app, lambda: cell("STATE") == "KILLED")  # it stays, greyed out, with its exit
            assert cell("EXIT").startswith("killed (137)")
            info = await c.wait(pid, timeout=30)
            assert info.exit_reason == "killed"
            await c.halt()
            await until(pilot, app, lambda: "kernel went away" in str(app.query_one("#status", Static).render()))


async def test_top_over_tcp_shows_and_kills(monkeypatch, tmp_path):
    """`LLMOS_KERNEL=HOST:PORT llmos top`: the same rows and the same kill, from a home with no kernel of its own."""
    h = Home()
    try:
        assert h.llmos("boot", "--listen", "127.0.0.1:0").returncode == 0
        monkeypatch.setenv("LLMOS_KERNEL", (h.path / "kernel.listen").read_text().split()[0])
        monkeypatch.setenv("LLMOS_KERNEL_TOKEN_FILE", str(h.path / "kernel.token"))
        async with Client(tmp_path) as c:  # tmp_path has no kernel: the client goes over TCP
            pid = await c.spawn("assistant", "slow row over tcp")
            app = TopApp(LiveSource(tmp_path), interval=0.5)
            async with app.run_test(size=(140, 30)) as pilot:
                table = app.query_one(DataTable)
                await until(pilot, app, lambda: str(pid) in [k.value for k in table.rows])
                await pilot.press("K")
                assert (await c.wait(pid, timeout=30)).exit_reason == "killed"
    finally:
        h.teardown()
