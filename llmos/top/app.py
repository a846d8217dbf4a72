"""llmos top: a Textual viewer of the kernel's processes with htop's habits."""
from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Input, Static

from . import readable
from .acting import RowActions
from .screens import HelpScreen, SignalScreen
from .source import LiveSource, Snapshot, Source, SourceGone
from .view import COLUMNS, alive, arrange, cells, header, shown_by_default


class TopApp(RowActions, App):
    TITLE = "llmos top"
    CSS = """
    #header { height: 2; padding: 0 1; background: $boost; }
    #status { height: 1; padding: 0 1; color: $warning; }
    #table { height: 1fr; }
    #detail { height: 12; border-top: solid $accent; padding: 0 1; display: none; }
    #filter, #search { display: none; }
    """
    BINDINGS = [
        Binding("q", "quit", "quit"), Binding("k", "kill", "kill"), Binding("K", "kill_now", "KILL"),
        Binding("space", "tag", "tag"), Binding("slash", "filter", "filter"),
        Binding("less_than_sign", "sort(-1)", "sort <"), Binding("greater_than_sign", "sort(1)", "sort >"),
        Binding("s", "reverse", "reverse"), Binding("t", "tree", "tree"), Binding("a", "dead", "all"),
        Binding("enter", "detail", "detail", show=False), Binding("p", "pause", "pause"),
        Binding("f", "search", "find"), Binding("n", "find(1)", "next", show=False),
        Binding("N", "find(-1)", "previous", show=False), Binding("l", "logs", "logs"),
        Binding("d", "inspect", "inspect"), Binding("A", "approval", "approve/deny"),
        Binding("question_mark", "help", "help"), Binding("escape", "clear_filter", show=False),
    ]

    def __init__(self, source: Source | None = None, *, interval: float = 1.0):
        super().__init__()
        self.source = source or LiveSource()
        self.interval = interval
        self.snapshot: Snapshot | None = None
        self.needle, self.sort, self.reverse, self.as_tree, self.show_dead = "", "PID", False, False, False
        self.paused, self.gone = False, False
        self.tagged: set[int] = set()
        self.detail_pid: int | None = None
        self.search = ""
        self._order: list[int] = []
        self._columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("connecting to the kernel ...", id="header", markup=False)
        yield Static("", id="status", markup=False)
        yield Input(placeholder="filter: pid, app, state, task or syscall (Enter keeps, Esc clears)", id="filter")
        yield Input(placeholder="find: pid, app, state, task or syscall (Enter, then n / N for next / previous)",
                    id="search")
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.focus()
        self.refresh_data()
        self.set_interval(self.interval, self.refresh_data)

    # -- data ------------------------------------------------------------------------------------
    @work(exclusive=True, group="refresh")
    async def refresh_data(self) -> None:
        if self.paused:
            return
        try:
            snap = await self.source.snapshot()
        except SourceGone as exc:
            self.gone = True
            self.set_status(f"the kernel went away: {exc} — showing the last state; q quits")
            return
        try:
            if self.gone:
                self.gone = False
                self.set_status("")
            self.snapshot = snap
            self.render_table()
            if self.detail_pid is not None:
                await self.show_detail(self.detail_pid)
        except NoMatches:  # the answer came as top was closing: its widgets are gone
            return

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    def selected_pid(self) -> int | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        except Exception:
            return None
        return int(key.value) if key and key.value else None

    def labels(self) -> tuple[str, ...]:
        """The column titles, with an arrow on the one the rows are sorted by."""
        from .view import DESCENDING
        down = (self.sort in DESCENDING) != self.reverse
        return tuple(c + (" ▼" if down else " ▲") if c == self.sort else c for c in COLUMNS)

    def shown(self) -> list[tuple[Any, int]]:
        snap = self.snapshot
        if snap is None:
            return []
        return arrange(snap.procs, needle=self.needle, sort=self.sort, reverse=self.reverse, tree=self.as_tree,
                       show_dead=self.show_dead)

    def render_table(self) -> None:
        snap = self.snapshot
        if snap is None:
            return
        now = time.time()
        self.query_one("#header", Static).update(header(snap.stats, [p for p in snap.procs
                                                                     if shown_by_default(p, now)]) + (
            "   [PAUSED]" if self.paused else ""))
        table = self.query_one(DataTable)
        keep = self.selected_pid()
        labels = self.labels()
        if labels != self._columns:  # the sort moved: new titles (the arrow), and the rows again
            table.clear(columns=True)
            for c, label in zip(COLUMNS, labels):
                table.add_column(label, key=c)
            self._columns, self._order = labels, []
        rows = self.shown()
        order = [p.pid for p, _ in rows]
        live = set(order)
        self.tagged &= live
        if order != self._order:  # rows came, went or moved: rebuild, keeping the cursor on its pid
            table.clear()
            for p, depth in rows:
                table.add_row(*self._cells(p, depth, now), key=str(p.pid))
            self._order = order
            if keep in live:
                table.move_cursor(row=order.index(keep), animate=False)
            return
        for p, depth in rows:  # same rows: update the cells in place
            for col, value in zip(COLUMNS, self._cells(p, depth, now)):
                if table.get_cell(str(p.pid), col) != value:
                    table.update_cell(str(p.pid), col, value)

    def _cells(self, p: Any, depth: int, now: float) -> tuple[Text, ...]:
        """Plain Text cells (an app name or syscall text is never read as Textual markup); an ended
        process stays a while, greyed out."""
        c = list(cells(p, depth if self.as_tree else 0, now))
        if p.pid in self.tagged:
            c[0] = "*" + c[0]
        style = "" if alive(p) else "dim"
        return tuple(Text(v, style=style) for v in c)

    def selected(self) -> Any | None:
        pid = self.selected_pid()
        procs = self.snapshot.procs if self.snapshot else []
        return next((p for p in procs if p.pid == pid), None)

    # -- actions ---------------------------------------------------------------------------------
    def targets(self) -> list[int]:
        if self.tagged:
            return sorted(self.tagged)
        pid = self.selected_pid()
        return [pid] if pid is not None else []

    def action_kill(self) -> None:
        pids = self.targets()
        if not pids:
            self.set_status("no process selected")
            return

        def chosen(sig: str | None) -> None:
            if sig:
                self.send(pids, sig)
        self.push_screen(SignalScreen(pids), chosen)

    def action_kill_now(self) -> None:
        pids = self.targets()
        if pids:
            self.send(pids, "KILL")

    @work(group="signal")
    async def send(self, pids: list[int], sig: str) -> None:
        done = []
        for pid in pids:
            try:
                await self.source.kill(pid, sig)
                done.append(str(pid))
            except (ValueError, SourceGone) as exc:
                self.set_status(f"kill {pid}: {exc}")
        if done:
            self.set_status(f"sent {sig} to {', '.join(done)}")
        self.tagged.clear()
        self.refresh_data()

    def action_tag(self) -> None:
        pid = self.selected_pid()
        if pid is not None:
            self.tagged ^= {pid}
            self._order = []
            self.render_table()
            table = self.query_one(DataTable)
            if table.cursor_row < table.row_count - 1:
                table.move_cursor(row=table.cursor_row + 1)

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":  # find as you type: the cursor jumps to the first match
            self.search = event.value.strip()
            if self.search:
                self.jump(0, from_cursor=False)
            return
        self.needle = event.value.strip()
        self.render_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.display = bool(event.value) and event.input.id == "filter"
        self.query_one(DataTable).focus()

    def action_clear_filter(self) -> None:
        for box in self.query(Input):
            box.value, box.display = "", False
        self.needle = self.search = ""
        self.query_one(DataTable).focus()
        self.render_table()

    def action_sort(self, step: int) -> None:
        self.sort = COLUMNS[(COLUMNS.index(self.sort) + step) % len(COLUMNS)]
        self.set_status(f"sorted by {self.sort}")
        self.render_table()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self.render_table()

    def action_tree(self) -> None:
        self.as_tree = not self.as_tree
        self._order = []
        self.render_table()

    def action_dead(self) -> None:
        self.show_dead = not self.show_dead
        self.render_table()

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.set_status("paused: p resumes" if self.paused else "")
        self.render_table()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()

    @work(exclusive=True, group="detail")
    async def action_detail(self) -> None:
        pane = self.query_one("#detail", Static)
        pid = self.selected_pid()
        if pid is None or (pane.display and self.detail_pid == pid):
            pane.display, self.detail_pid = False, None
            return
        self.detail_pid = pid
        pane.display = True
        await self.show_detail(pid)

    async def show_detail(self, pid: int) -> None:
        try:
            events = await self.source.events(pid)
        except SourceGone:
            return
        proc = next((p for p in (self.snapshot.procs if self.snapshot else []) if p.pid == pid), None)
        head = readable.summary(proc) if proc else [f"pid {pid}"]
        lines = [readable.event(e) for e in events[-(11 - len(head)):]] or ["(no events)"]
        self.query_one("#detail", Static).update(Text("\n".join([*head, *lines])))  # Text: no markup

    async def on_unmount(self) -> None:
        await self.source.aclose()


def main() -> int:
    """Open the viewer on this home's kernel; with none running, say so in one line instead."""
    import sys

    from ..daemonctl import home_of, is_running
    from ..remote import target
    if target() is None and is_running() is None:
        print(f"llmos: no kernel is running at {home_of()}; `llmos boot` starts one (or `llmos shell`)",
              file=sys.stderr)
        return 1
    TopApp().run()
    return 0


