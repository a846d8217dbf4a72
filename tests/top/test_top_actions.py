"""top's habits on a fake kernel (Textual's Pilot): TASK and EXIT columns, ended rows kept greyed out, the sort
arrow, find with n / N, logs / inspect / approve on the selected row, the cursor kept on its pid, readable detail."""
from __future__ import annotations

import time

import pytest
from rich.text import Text
from textual.widgets import DataTable, Static

from kernel.api.messages import ApprovalInfo
from llmos.top import TopApp
from llmos.top.actions import ApprovalScreen, TextScreen
from llmos.top.view import KEEP_EXITED

from .fake import FakeSource, proc
from .test_top import pids, settle

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def labels(app: TopApp) -> list[str]:
    return [str(c.label) for c in app.query_one(DataTable).columns.values()]


def row_of(app: TopApp, pid: int) -> list:
    return app.query_one(DataTable).get_row(str(pid))


def selected(app: TopApp) -> int | None:
    return app.selected_pid()


async def test_task_and_exit_columns_and_ended_rows_kept_greyed_out():
    now = time.time()
    src = FakeSource([proc(1, task="plan a trip\nto Lisbon \x1b[31m"),
                      proc(2, state="KILLED", ended=now - 130, exit_reason="killed",
                           exit_status=137),
                      proc(3, state="EXITED", ended=now - KEEP_EXITED - 5, exit_reason="exited", exit_status=0)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        assert pids(app) == [1, 2]  # 3 ended longer ago than top keeps ended rows
        cols = labels(app)
        assert "TASK" in cols and "EXIT" in cols
        task = str(row_of(app, 1)[cols.index("TASK")])
        assert task == "plan a trip to Lisbon \\x1b[31m"  # one line, control characters made visible
        dead = row_of(app, 2)
        assert str(dead[cols.index("EXIT")]) == "killed (137) 2 min ago"
        assert all(isinstance(c, Text) and c.style == "dim" for c in dead)  # greyed out
        assert all(c.style == "" for c in row_of(app, 1))  # a live row is not greyed out
        await pilot.press("a")  # all: the long-gone one too
        await settle(pilot, app)
        assert pids(app) == [1, 2, 3]


async def test_arrow_marks_the_sorted_column_and_its_direction():
    src = FakeSource([proc(1, tokens=5), proc(2, tokens=50)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        assert "PID ▲" in labels(app) and "TOKENS" in labels(app)
        while app.sort != "TOKENS":
            await pilot.press("greater_than_sign")
        await settle(pilot, app)
        assert "TOKENS ▼" in labels(app) and "PID" in labels(app)
        assert pids(app) == [2, 1]
        await pilot.press("s")
        await settle(pilot, app)
        assert "TOKENS ▲" in labels(app) and pids(app) == [1, 2]


async def test_cursor_stays_on_its_pid_when_rows_move():
    src = FakeSource([proc(1, tokens=30), proc(2, tokens=20), proc(3, tokens=10)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 30)) as pilot:
        while app.sort != "TOKENS":
            await pilot.press("greater_than_sign")
        await settle(pilot, app)
        assert pids(app) == [1, 2, 3]
        await pilot.press("down", "down")
        assert selected(app) == 3
        src.procs[3] = proc(3, tokens=100)  # 3 jumps to the top
        src.procs[4] = proc(4, tokens=50)
        await settle(pilot, app)
        assert pids(app) == [3, 4, 1, 2]
        assert selected(app) == 3
        del src.procs[4]  # a row above it goes
        src.procs[1] = proc(1, tokens=500)
        await settle(pilot, app)
        assert pids(app) == [1, 3, 2] and selected(app) == 3


async def test_find_jumps_and_n_goes_to_the_next_match():
    src = FakeSource([proc(1, app="coder"), proc(2), proc(3, app="coder"), proc(4)])
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"coder", "enter")
        await pilot.pause()
        assert selected(app) == 1 and pids(app) == [1, 2, 3, 4]  # find moves the cursor, it filters nothing
        await pilot.press("n")
        assert selected(app) == 3
        await pilot.press("n")
        assert selected(app) == 1  # wraps around
        await pilot.press("N")
        assert selected(app) == 3
        await pilot.press("f", *"zzz", "enter")
        await pilot.pause()
        assert "no process matches 'zzz'" in str(app.query_one("#status", Static).render())


async def test_l_shows_the_log_and_d_inspects_as_a_person_reads_them():
    t0 = 1764840000.0  # an epoch time: shown as a clock time, never as the float
    src = FakeSource([proc(1, current="llm.chat")])
    src.events_of[1] = [
        {"ts": t0, "seq": 1, "kind": "proc.spawn", "pid": 1, "app": "assistant", "started": t0},
        {"ts": t0 + 1, "seq": 2, "kind": "syscall", "pid": 1, "call": "llm.chat",
         "messages": "ChatMessage(role='user', content='what is 17 * 23?')"},
        {"ts": t0 + 2, "seq": 3, "kind": "syscall", "pid": 1, "call": "llm.chat",
         "args": '{"messages":[{"role":"user","content":"hello there"}]}'},
        {"ts": t0 + 3, "seq": 4, "kind": "rules.decision", "pid": 1, "effect": "allow", "time": t0 + 3,
         "args": "{'messages': [ChatMessage(role='user', content='pay for it'), ChatMessage(role='assistant', "
                 "content='ok')], 'max_tokens': 64}"}]
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, TextScreen)
        body = str(screen.query_one("#body", Static).render())
        clock = time.strftime("%H:%M:%S", time.localtime(t0))
        assert f"started={clock}" in body and str(t0) not in body and "1764840000" not in body
        assert "user: what is 17 * 23?" in body and "ChatMessage(" not in body
        assert "user: hello there" in body and '{"messages"' not in body
        assert "messages=user: pay for it; assistant: ok, max_tokens=64" in body
        assert f"time={time.strftime('%H:%M:%S', time.localtime(t0 + 3))}" in body
        await pilot.press("escape")
        await pilot.press("d")
        await settle(pilot, app)
        text = str(app.screen.query_one("#body", Static).render())
        assert "pid 1 (assistant, parent 0)" in text and "5 min ago" in text and "in syscall llm.chat" in text
        await pilot.press("escape")
        await pilot.press("enter")  # the detail pane reads the same way
        await settle(pilot, app)
        detail = str(app.query_one("#detail", Static).render())
        assert "user: what is 17 * 23?" in detail and "ChatMessage(" not in detail


async def test_A_answers_the_selected_process_approval():
    src = FakeSource([proc(1), proc(2, state="BLOCKED")])
    src.pending = [ApprovalInfo(id="ap-7", pid=2, call="browser.click", reason="this button pays", app="travel",
                                args={"element": "Confirm booking and pay $420"}, expires=time.time() + 240)]
    app = TopApp(src, interval=60)
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("A")  # pid 1 has none
        await settle(pilot, app)
        assert "pid 1 has no approval waiting" in str(app.query_one("#status", Static).render())
        await pilot.press("down", "A")
        await settle(pilot, app)
        assert isinstance(app.screen, ApprovalScreen)
        shown = str(app.screen.query_one(Static).render())
        assert "browser.click" in shown and "Confirm booking and pay $420" in shown and "(in 3 min)" in shown
        await pilot.press("n")  # deny
        await settle(pilot, app)
        assert src.decided == [("ap-7", False)]
        assert "denied ap-7" in str(app.query_one("#status", Static).render())
