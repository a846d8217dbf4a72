"""Crash recovery: fold the journal into what had finished and what was running, restore it, clean up.

After a kill -9 the next boot reads the journal and
- puts every finished process back (``ps -a``, ``wait``, ``logs`` see its exit status and result),
- marks what was running ``interrupted`` (status 75, EX_TEMPFAIL), or resumes it under its own pid
  when its app says ``restart = "resume"`` (the task starts again from its first step, in the same
  workspace; a memory context journaled for it is handed to the memory service if it can resume one),
- removes the containers earlier boots of this home left behind and Chromium profiles whose
  browser died, in the background,
and says what it did: a ``kernel.recovered`` event and ``state/recovery.txt`` for ``llmos boot``.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from kernel.proc import pids
from kernel.proc.process import Process, State
from kernel.reliability.journal import Damage, Record

if TYPE_CHECKING:
    from kernel.kernel import Kernel

INTERRUPTED = 75  # EX_TEMPFAIL: the kernel stopped under it; running it again may succeed
KEEP_FINISHED = 20000  # finished processes kept through compaction (the oldest go first)
SUMMARY = "recovery.txt"


class Folded(msgspec.Struct):
    """The journal folded by pid: each process's latest spawn, its exit (if any) and last context."""

    spawns: dict[int, Record] = {}
    exits: dict[int, Record] = {}
    ctx: dict[int, Record] = {}
    sandboxes: dict[str, float] = {}  # sandbox kernel id -> when that boot began


def fold(records: list[Record]) -> Folded:
    f = Folded(spawns={}, exits={}, ctx={}, sandboxes={})
    boot_ts: dict[str, float] = {}
    for r in records:
        if r.kind == "boot":
            boot_ts[r.boot] = r.ts
        elif r.kind == "spawn":
            f.spawns[r.pid] = r
            f.exits.pop(r.pid, None)  # a resumed process: its earlier end no longer counts
        elif r.kind == "exit":
            f.exits[r.pid] = r
            f.ctx.pop(r.pid, None)
        elif r.kind == "ctx":
            f.ctx[r.pid] = r
        elif r.kind == "sandbox":
            f.sandboxes[r.task] = boot_ts.get(r.boot, r.ts)
    return f


def compacted(f: Folded, boot: Record) -> list[Record]:
    """The smallest journal that says the same: this boot, every process's spawn and exit, the
    contexts of those still running, and the sandbox ids whose orphans may still need removing."""
    out = [boot]
    finished = sorted(f.exits)[-KEEP_FINISHED:]
    keep = set(finished) | {p for p in f.spawns if p not in f.exits}
    for pid in sorted(keep):
        if pid in f.spawns:
            out.append(f.spawns[pid])
        if pid in f.exits:
            out.append(f.exits[pid])
        elif pid in f.ctx:
            out.append(f.ctx[pid])
    out += [Record(kind="sandbox", boot=boot.boot, ts=ts, task=sid) for sid, ts in f.sandboxes.items()]
    return out


def restored(spawn: Record, end: Record | None) -> Process:
    """A dead process as the journal remembers it."""
    p = Process(spawn.pid, spawn.ppid, spawn.app, spawn.task, priority=spawn.priority)
    p.started = spawn.started or spawn.ts
    p.engine = spawn.engine or p.engine
    if end is None:
        p.set_state(State.KILLED)
        p.exit_reason, p.exit_status = "interrupted", INTERRUPTED
        p.error = "the kernel stopped while this process ran (crash or kill -9); run it again"
        p.ended = time.time()
    else:
        p.set_state(State.KILLED if end.reason not in ("exited", "error", "crashed") else State.EXITED)
        p.exit_reason, p.exit_status, p.result, p.error = end.reason, end.status, end.result, end.error
        p.ended = end.ts
        p.usage.tokens_in, p.usage.tokens_out, p.usage.syscalls = end.tokens_in, end.tokens_out, end.syscalls
    p.done.set()
    return p


def restore_table(k: Kernel, f: Folded) -> tuple[int, list[Record]]:
    """Put finished processes into the history and interrupted ones into the table; return how many
    finished, and the spawn records of the processes to resume."""
    finished, resume = 0, []
    for pid in sorted(f.spawns):
        spawn = f.spawns[pid]
        end = f.exits.get(pid)
        if end is None and spawn.restart == "resume":
            resume.append(spawn)
            continue
        p = restored(spawn, end)
        if end is None:
            k.ptable.add(p)  # shows in `ps` until reaped, like any process that just ended
            k.events.emit("proc.exit", pid, reason=p.exit_reason, status=p.exit_status, error=p.error,
                          recovered=True)
        else:
            k.ptable.reaped[pid] = p
            finished += 1
            k.events.emit("proc.recovered", pid, app=p.app, task=p.task[:200], reason=p.exit_reason,
                          status=p.exit_status, result=(p.result or "")[:500], error=p.error[:500])
    return finished, resume


def summary_text(stats: dict[str, Any], damage: list[Damage]) -> str:
    parts = [f"{stats['finished']} finished process{'es' if stats['finished'] != 1 else ''} restored",
             f"{stats['interrupted']} interrupted", f"{stats['resumed']} resumed"]
    text = "recovered from the journal: " + ", ".join(parts)
    if damage:
        text += f"; skipped {len(damage)} damaged journal record(s) ({damage[0].why})"
    return text


def write_summary(home: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        (home / "state" / SUMMARY).write_text(text + "\n")


def boot_message(home: str | Path) -> str:
    """What the last boot of ``home`` recovered, for ``llmos boot`` to print ('' when nothing)."""
    try:
        return (Path(home) / "state" / SUMMARY).read_text().strip()
    except OSError:
        return ""


# -- orphans ---------------------------------------------------------------------------------------
def remove_orphan_containers(sandboxes: dict[str, float], current: str, booted: float) -> int:
    """Remove containers labelled with a sandbox id of an earlier boot of this home (created before
    this boot, so a sandbox that reuses its id keeps what it made since).  Blocking: run in a thread."""
    if not sandboxes:
        return 0
    from sandbox.engine import connect
    from sandbox.policy import LABEL_KERNEL
    client = connect(timeout=30)
    removed = 0
    try:
        for sid in sandboxes:
            for c in client.api.containers(all=True, filters={"label": f"{LABEL_KERNEL}={sid}"}):
                if sid == current and c.get("Created", 0) >= booted:
                    continue
                with contextlib.suppress(Exception):
                    client.api.remove_container(c["Id"], force=True, v=True)
                    removed += 1
    finally:
        client.close()
    return removed


def remove_dead_profiles(roots: list[Path] | None = None) -> int:
    """Remove Playwright Chromium profiles whose browser is gone: Chromium's ``SingletonLock`` link
    names ``host-pid``; a profile of this host whose pid is dead is an orphan."""
    roots = roots or [Path(tempfile.gettempdir())]
    host = socket.gethostname()
    removed = 0
    for root in roots:
        with contextlib.suppress(OSError):
            for d in root.glob("playwright_chromiumdev_profile-*"):
                try:
                    owner = os.readlink(d / "SingletonLock")
                except OSError:
                    continue
                h, _, pid = owner.rpartition("-")
                if h == host and pid.isdigit() and not pids.alive(int(pid)):
                    shutil.rmtree(d, ignore_errors=True)
                    removed += 1
    return removed
