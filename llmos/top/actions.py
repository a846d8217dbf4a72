"""top's screens that act on one process: its log (``l``), its details (``d``), its pending approval (``A``)."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..textsafe import printable
from . import readable


class TextScreen(ModalScreen[None]):
    """A scrollable page of text over the table; Esc or q closes it."""

    BINDINGS = [Binding("escape,q", "dismiss", "close")]
    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > VerticalScroll { width: 90%; height: 80%; border: round $accent; background: $panel; padding: 0 1; }
    """

    def __init__(self, title: str, lines: list[str]):
        super().__init__()
        self.title_text, self.lines = title, lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.title_text, id="title", markup=False)
            yield Static("\n".join(self.lines) or "(nothing yet)", id="body", markup=False)


def log_screen(pid: int, events: list[dict]) -> TextScreen:
    return TextScreen(f"log of pid {pid} ({len(events)} events; Esc closes)",
                      [readable.event(e, limit=160) for e in events])


def inspect_screen(proc: Any, events: list[dict]) -> TextScreen:
    lines = readable.summary(proc)
    lines += ["", f"context {proc.ctx_used}/{proc.ctx_limit} tokens   priority {proc.priority}   "
                  f"steps {proc.steps}   {proc.tokens_per_second:.1f} tok/s", "", "last events:"]
    lines += [readable.event(e, limit=160) for e in events[-15:]] or ["(none)"]
    return TextScreen(f"pid {proc.pid} (Esc closes)", lines)


class ApprovalScreen(ModalScreen[bool | None]):
    """One pending approval, in full: ``y`` approves, ``n`` denies, Esc leaves it waiting."""

    BINDINGS = [Binding("y", "answer(True)", "approve"), Binding("n", "answer(False)", "deny"),
                Binding("escape", "answer_none", "later")]
    DEFAULT_CSS = """
    ApprovalScreen { align: center middle; }
    ApprovalScreen > Vertical { width: 90; height: auto; border: round $warning; background: $panel; padding: 0 1; }
    """

    def __init__(self, approval: Any):
        super().__init__()
        self.approval = approval

    def compose(self) -> ComposeResult:
        a = self.approval
        lines = [f"pid {a.pid} ({printable(a.app)}) asks to run {printable(a.call)}",
                 f"why: {printable(a.reason)}" if a.reason else "",
                 *(f"  {printable(k)} = {printable(v)}" for k, v in a.args.items()),
                 f"expires {readable.clock(a.expires)}" if a.expires else "",
                 "", "y approve   n deny   Esc decide later"]
        with Vertical():
            yield Static("\n".join(x for x in lines if x is not None), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_answer_none(self) -> None:
        self.dismiss(None)
