"""top's keys that find a row and act on the selected process: find (f, n, N), logs (l), inspect (d), approve (A)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import DataTable, Input

from .actions import ApprovalScreen, inspect_screen, log_screen
from .source import Source, SourceGone
from .view import find

if TYPE_CHECKING:
    from kernel.api.messages import ProcRow


class RowActions:
    """Mixed into ``TopApp``: it provides the table, the source, the status line and the selection."""

    source: Source
    search: str

    if TYPE_CHECKING:  # what TopApp (a Textual App) provides
        def query_one(self, *args: Any) -> Any: ...
        def set_status(self, text: str) -> None: ...
        def selected_pid(self) -> int | None: ...
        def selected(self) -> ProcRow | None: ...
        def shown(self) -> list[tuple[Any, int]]: ...
        def push_screen(self, *args: Any, **kwargs: Any) -> Any: ...
        def refresh_data(self) -> Any: ...

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.focus()

    def action_find(self, step: int) -> None:
        if not self.search:
            self.set_status("f finds a process first; n and N then jump to the next and previous match")
            return
        self.jump(step)

    def jump(self, step: int, *, from_cursor: bool = True) -> None:
        rows = [p for p, _ in self.shown()]
        if not rows:
            return
        table = self.query_one(DataTable)
        start = table.cursor_row if from_cursor else -1
        i = find(rows, self.search, start, step or 1)
        if i is None:
            self.set_status(f"no process matches {self.search!r}")
            return
        table.move_cursor(row=i, animate=False)
        self.set_status(f"found {self.search!r}: pid {rows[i].pid}")

    @work(group="open")
    async def action_logs(self) -> None:
        pid = self.selected_pid()
        if pid is None:
            self.set_status("no process selected")
            return
        try:
            events = await self.source.events(pid)
        except SourceGone as exc:
            self.set_status(f"the kernel went away: {exc}")
            return
        self.push_screen(log_screen(pid, events))

    @work(group="open")
    async def action_inspect(self) -> None:
        proc = self.selected()
        if proc is None:
            self.set_status("no process selected")
            return
        try:
            events = await self.source.events(proc.pid)
        except SourceGone as exc:
            self.set_status(f"the kernel went away: {exc}")
            return
        self.push_screen(inspect_screen(proc, events))

    @work(group="open")
    async def action_approval(self) -> None:
        pid = self.selected_pid()
        if pid is None:
            self.set_status("no process selected")
            return
        try:
            waiting = [a for a in await self.source.approvals() if a.pid == pid]
        except SourceGone as exc:
            self.set_status(f"the kernel went away: {exc}")
            return
        if not waiting:
            self.set_status(f"pid {pid} has no approval waiting")
            return
        approval = waiting[0]

        def answered(yes: bool | None) -> None:
            if yes is not None:
                self.decide(approval.id, yes)
        self.push_screen(ApprovalScreen(approval), answered)

    @work(group="signal")
    async def decide(self, approval: str, yes: bool) -> None:
        try:
            await self.source.decide(approval, yes)
        except (ValueError, SourceGone) as exc:
            self.set_status(f"{approval}: {exc}")
            return
        self.set_status(f"{'approved' if yes else 'denied'} {approval}")
        self.refresh_data()
