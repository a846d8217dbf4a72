"""top on a fake kernel, driven by Textual's Pilot: rows, kill, filter, sort, tree, detail, and a screenshot."""
from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from llmos.top import TopApp

from .fake import FakeSource, proc

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def pids(app: TopApp) -> list[int]:
    table = app.query_one(DataTable)
    return [int(k.value) for k in table.rows]


async def settle(pilot, app: TopApp) -> None:
    app.refresh_data()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_rows_follow_processes_coming_and_going():
    src = FakeSource([proc(1), proc(2, state="WAITING")])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        assert pids(app) == [1, 2]
        src.procs[3] = proc(3, ppid=1)
        del src.procs[1]
        await settle(pilot, app)
        assert pids(app) == [2, 3]
        src.procs[3] = proc(3, ppid=1, state="EXITED")  # an exited process leaves the table
        await settle(pilot, app)
        assert pids(app) == [2]
        header = str(app.query_one("#header", Static).render())
        assert "LLM slots 1/4" in header and "run queue 2" in header and "12.5 tok/s" in header


async def test_churn_of_many_processes():
    src = FakeSource()
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        for round_ in range(20):
            src.procs = {p: proc(p) for p in range(round_ * 7, round_ * 7 + 30) if p}
            await settle(pilot, app)
        assert pids(app) == sorted(src.procs)


async def test_k_asks_for_a_signal_and_sends_term_by_default():
    src = FakeSource([proc(1), proc(2)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("down", "k")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        assert src.signals == [(2, "TERM")]
        assert pids(app) == [1]
        await pilot.press("K")
        await settle(pilot, app)
        assert src.signals[-1] == (1, "KILL")
        assert pids(app) == []


async def test_tagged_processes_are_killed_together():
    src = FakeSource([proc(1), proc(2), proc(3)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("space", "space", "K")
        await settle(pilot, app)
        assert sorted(src.signals) == [(1, "KILL"), (2, "KILL")]
        assert pids(app) == [3]


async def test_filter_and_sort():
    src = FakeSource([proc(1, app="coder", tokens=5), proc(2, tokens=50), proc(3, app="coder", tokens=500)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"coder", "enter")
        await settle(pilot, app)
        assert pids(app) == [1, 3]
        await pilot.press("escape")
        await settle(pilot, app)
        assert pids(app) == [1, 2, 3]
        while app.sort != "TOKENS":
            await pilot.press("greater_than_sign")
        await settle(pilot, app)
        assert pids(app) == [3, 2, 1]  # most tokens first
        await pilot.press("s")
        await settle(pilot, app)
        assert pids(app) == [1, 2, 3]


async def test_tree_detail_pause_and_kernel_gone():
    src = FakeSource([proc(1), proc(2), proc(3, ppid=1)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("t")
        await settle(pilot, app)
        assert pids(app) == [1, 3, 2]
        await pilot.press("enter")
        await settle(pilot, app)
        detail = str(app.query_one("#detail", Static).render())
        assert "pid 1 (assistant" in detail and "proc.spawn" in detail
        await pilot.press("p")
        src.procs[9] = proc(9)
        await settle(pilot, app)
        assert 9 not in pids(app)
        await pilot.press("p")
        src.gone = True
        await settle(pilot, app)
        assert "the kernel went away" in str(app.query_one("#status", Static).render())


async def test_screenshot_shows_the_columns(tmp_path):
    import html
    import re
    import time
    src = FakeSource([proc(1, current="llm.json", tokens=120, task="plan a trip"), proc(2, state="STOPPED", ppid=1),
                      proc(3, state="KILLED", ended=time.time() - 130, exit_reason="killed", exit_status=137)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 24)) as pilot:
        await settle(pilot, app)
        svg = app.export_screenshot()
        path = tmp_path / "top.svg"
        path.write_text(svg)
    text = html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")
    for word in ("PID ▲", "PPID", "APP", "STATE", "PRIO", "CTX", "TOK/s", "TOKENS", "SYSCALLS", "TIME", "SYSCALL",
                 "EXIT", "TASK", "llm.json", "STOPPED", "KILLED", "killed (137) 2 min ago", "plan a trip",
                 "LLM slots"):
        assert word in text, word
