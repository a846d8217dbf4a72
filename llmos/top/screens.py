"""top's pop-ups: the signal chooser for ``k`` and the key help for ``?``."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

SIGNALS = ("TERM", "KILL", "STOP", "CONT")

HELP = """\
 llmos top — keys

 k        send a signal to the selected (or tagged) processes; TERM by default
 K        KILL the selected (or tagged) processes at once
 space    tag / untag the selected process
 /        filter by pid, app, state, task or syscall (Esc clears)
 < >      sort by the previous / next column      s  reverse the sort
 t        tree by parent                           a  show exited processes too
 f        find a process (the cursor jumps to it); n / N next / previous match
 enter    detail pane with the process's last events (enter again hides it)
 l        the selected process's whole log          d  inspect it (times, usage, exit)
 A        answer the selected process's pending approval (y approve, n deny)
 ended processes stay greyed out for 5 minutes; the sorted column has an arrow
 p        pause / resume updates
 q        quit                                     ?  this help
"""


class SignalScreen(ModalScreen[str | None]):
    """Ask which signal to send; Enter on the highlighted one (TERM) sends it, Esc cancels."""

    BINDINGS = [Binding("escape", "dismiss_none", "cancel")]
    DEFAULT_CSS = """
    SignalScreen { align: center middle; }
    SignalScreen > Vertical { width: 44; height: auto; border: round $accent; background: $panel; padding: 0 1; }
    SignalScreen OptionList { height: 6; }
    """

    def __init__(self, pids: list[int]):
        super().__init__()
        self.pids = pids

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"send signal to {', '.join(map(str, self.pids))}:")
            yield OptionList(*SIGNALS, id="signals")

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(SIGNALS[event.option_index])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Static { width: 84; height: auto; border: round $accent; background: $panel; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP)
