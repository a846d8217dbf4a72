"""The process state machine and the process table."""
import pytest

from kernel.proc.process import Process, State
from kernel.proc.ptable import ProcTable


def test_legal_path_to_exit():
    p = Process(1, 0, "a", "t")
    for s in (State.READY, State.RUNNING, State.WAITING, State.BLOCKED, State.WAITING, State.SLEEPING,
              State.WAITING, State.EXITED):
        p.set_state(s)
    assert p.state == State.EXITED and not p.alive


@pytest.mark.parametrize("path", [(State.BLOCKED,), (State.READY, State.BLOCKED), (State.SLEEPING,)])
def test_illegal_transitions_are_refused(path):
    p = Process(1, 0, "a", "t")
    with pytest.raises(RuntimeError, match="illegal transition"):
        for s in path:
            p.set_state(s)


def test_dead_is_final():
    p = Process(1, 0, "a", "t")
    p.set_state(State.KILLED)
    with pytest.raises(RuntimeError):
        p.set_state(State.READY)


def test_stopped_process_stays_stopped_and_remembers_where_to_resume():
    p = Process(1, 0, "a", "t")
    p.set_state(State.WAITING)
    p.stop()  # what the kernel does on STOP
    p.set_state(State.READY)
    assert p.state == State.STOPPED and p.resume_state == State.READY
    p.cont()
    assert p.state == State.READY


def test_every_change_of_state_is_reported_once_through_the_one_owner():
    p = Process(1, 0, "a", "t")
    seen = []
    p.on_state = lambda proc, old, new: seen.append((old.value, new.value))
    p.set_state(State.RUNNING)
    p.block()  # a person is asked: by way of WAITING
    p.stop()
    p.unblock()  # the answer came while stopped: it will resume WAITING, and stays stopped
    p.cont()
    p.set_state(State.WAITING)  # no change, no report
    p.set_state(State.EXITED)
    assert seen == [("NEW", "RUNNING"), ("RUNNING", "WAITING"), ("WAITING", "BLOCKED"), ("BLOCKED", "STOPPED"),
                    ("STOPPED", "WAITING"), ("WAITING", "EXITED")]


def test_no_kernel_module_assigns_a_process_state_but_the_process_itself():
    """Transitions happen in one place (Process.set_state/stop/cont), checked against the state machine."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2] / "kernel"
    bad = [f"{f.relative_to(root)}:{i}" for f in root.rglob("*.py") if f.name != "process.py"
           for i, line in enumerate(f.read_text().splitlines(), 1) if re.search(r"\b\w+\.state\s*=[^=]", line)
           and "approval" not in line]
    assert bad == []


def test_zombie_kept_until_reaped_and_orphans_reparented():
    t = ProcTable()
    parent, child = Process(t.alloc_pid(), 0, "a", ""), None
    t.add(parent)
    child = Process(t.alloc_pid(), parent.pid, "b", "")
    t.add(child)
    assert t.reap(parent.pid) is None  # alive: not reapable
    parent.set_state(State.EXITED)
    assert t.children(parent.pid) == [child]
    assert t.reap(parent.pid) is parent
    assert child.ppid == 0 and t.get(parent.pid) is parent  # history keeps the record
    assert t.is_descendant(child.pid, 0)
