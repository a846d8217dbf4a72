"""The ``journal`` boot step: recover from the last run, then journal every spawn, exit and context."""
from __future__ import annotations

import contextlib
import time
import uuid
from typing import TYPE_CHECKING, Any

import anyio

from apps.manifest import Manifest
from kernel.proc.process import Process
from kernel.reliability import recovery
from kernel.reliability.journal import Journal, Record

if TYPE_CHECKING:
    from kernel.kernel import Kernel

COMPACT_BYTES = 8 * 1024 * 1024  # rewrite the journal when it grows past this


class Journaler:
    """Keeps the journal of one kernel: an in-memory fold of it (for compaction) and the file."""

    def __init__(self, k: Kernel):
        self.k = k
        self.boot = Record(kind="boot", ts=time.time(), boot=uuid.uuid4().hex[:12])
        self.journal = Journal(k.home / "state" / "journal.bin")
        self.folded = recovery.Folded(spawns={}, exits={}, ctx={}, sandboxes={})
        self.errors = 0
        self.stats: dict[str, Any] = {}

    # -- boot --------------------------------------------------------------------------------------
    def recover(self) -> list[Record]:
        records, damage = self.journal.read()
        for d in damage:
            self.k.events.emit("journal.damaged", offset=d.offset, length=d.length, why=d.why)
        self.folded = recovery.fold(records)
        finished, resume = recovery.restore_table(self.k, self.folded)
        interrupted = sum(1 for p in self.folded.spawns if p not in self.folded.exits) - len(resume)
        for pid in [p for p in self.folded.spawns if p not in self.folded.exits]:
            if all(r.pid != pid for r in resume):  # interrupted: its end is now known
                self.folded.exits[pid] = Record(kind="exit", pid=pid, ts=time.time(), reason="interrupted",
                                                status=recovery.INTERRUPTED, error="the kernel stopped under it")
                self.folded.ctx.pop(pid, None)
        self.stats = {"finished": finished, "interrupted": interrupted, "resumed": len(resume),
                      "damaged": len(damage), "records": len(records)}
        self.damage = damage
        self.summary()  # before the socket is served, so `llmos boot` can print it
        self.journal.open()
        self.journal.rewrite(recovery.compacted(self.folded, self.boot))
        return resume

    async def resume(self, todo: list[Record]) -> None:
        """Start again, under their own pids, the processes whose app asked for it, each with the
        context the journal kept of it (put back before the spawn, which then finds it)."""
        for spawn in todo:
            engine = spawn.engine if spawn.engine in self.k.engines else None  # the same one while configured
            restored = await self._restore_context(spawn, engine)
            try:
                await self.k.spawn(spawn.app, spawn.task, priority=spawn.priority, pid=spawn.pid, engine=engine,
                                   user=spawn.user or None)
            except Exception as exc:  # the app is gone, or its budget no longer allows it
                if restored and self.k.memory is not None:
                    with contextlib.suppress(Exception):
                        self.k.memory.service.release(spawn.pid, keep=True)
                p = recovery.restored(spawn, None)
                p.error = f"could not resume: {exc}"
                self.k.ptable.add(p)
                self._write(Record(kind="exit", pid=p.pid, ts=time.time(), reason="interrupted",
                                   status=recovery.INTERRUPTED, error=p.error))
                self.stats["interrupted"] += 1
                self.stats["resumed"] -= 1
                continue
            self.k.events.emit("proc.resumed", spawn.pid, app=spawn.app, task=spawn.task[:200],
                               context=restored)

    async def _restore_context(self, spawn: Record, engine: str | None) -> bool:
        """Hand the journaled context to the memory manager; its untrusted pages are untrusted again
        (the rules' taint tracker sees them as if just read), so a crash does not launder them."""
        ctx = self.folded.ctx.get(spawn.pid)
        memory = self.k.memory
        if ctx is None or memory is None:
            return False
        try:
            manifest = self.k.registry.get(spawn.app)
            pm = await memory.restore(spawn.pid, ctx.data, app=spawn.app, grants=manifest.permissions.memory,
                                      user=spawn.user or None,
                                      engine=self.k.engines.route(manifest, engine))
        except Exception as exc:  # noqa: BLE001 - the process still resumes, with a fresh context
            self.k.events.emit("proc.context_lost", spawn.pid, app=spawn.app, error=f"{type(exc).__name__}: {exc}"[:300])
            return False
        if self.k.rules is not None:
            for page in [pg for pg in pm.context.pages if pg.untrusted]:  # all: the memory is bounded by bytes
                self.k.rules.taint.observe(spawn.pid, page.text)
        return True

    def summary(self) -> str:
        text = recovery.summary_text(self.stats, self.damage) if self.stats["records"] else ""
        recovery.write_summary(self.k.home, text)
        return text

    async def clean_orphans(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        current = self.k.sandbox.kernel_id if self.k.sandbox is not None else ""
        if current:
            self._write(Record(kind="sandbox", boot=self.boot.boot, ts=self.boot.ts, task=current))
            self.folded.sandboxes[current] = self.boot.ts
        earlier = {s: t for s, t in self.folded.sandboxes.items() if t < self.boot.ts or s == current}
        try:
            out["containers"] = await anyio.to_thread.run_sync(
                recovery.remove_orphan_containers, earlier, current, self.boot.ts)
            for sid in list(earlier):  # their orphans are gone: forget them
                if sid != current:
                    self.folded.sandboxes.pop(sid, None)
            self.journal.rewrite(recovery.compacted(self.folded, self.boot))
        except Exception as exc:  # no Docker engine: nothing of ours can be running there either
            out["containers"], out["containers_error"] = 0, f"{type(exc).__name__}: {exc}"[:300]
        out["profiles"] = await anyio.to_thread.run_sync(recovery.remove_dead_profiles)
        return out

    # -- while running -----------------------------------------------------------------------------
    def _write(self, rec: Record) -> None:
        f = self.folded
        if rec.kind == "spawn":
            f.spawns[rec.pid] = rec
            f.exits.pop(rec.pid, None)
        elif rec.kind == "exit":
            f.exits[rec.pid] = rec
            f.ctx.pop(rec.pid, None)
        elif rec.kind == "ctx":
            f.ctx[rec.pid] = rec
        try:
            self.journal.append(rec)
            if self.journal.size > COMPACT_BYTES:
                self.journal.rewrite(recovery.compacted(f, self.boot))
        except OSError as exc:  # a full or read-only disk: say so, keep running
            self.errors += 1
            if self.errors == 1 or self.errors % 100 == 0:
                self.k.events.emit("journal.error", error=f"{type(exc).__name__}: {exc}", count=self.errors)

    async def on_spawn(self, proc: Process, manifest: Manifest) -> None:
        self._write(Record(kind="spawn", pid=proc.pid, ppid=proc.ppid, app=proc.app, task=proc.task,
                           priority=proc.priority, restart=manifest.restart, engine=proc.engine, user=proc.user,
                           ts=time.time(), started=proc.started))

    def on_event(self, ev: dict[str, Any]) -> None:
        kind = ev.get("kind")
        if kind == "proc.exit" and not ev.get("recovered"):
            p = self.k.ptable.get(ev["pid"])
            if p is not None:
                self._write(Record(kind="exit", pid=p.pid, ts=p.ended or time.time(), reason=p.exit_reason,
                                   status=p.exit_status, result=p.result, error=p.error,
                                   tokens_in=p.usage.tokens_in, tokens_out=p.usage.tokens_out,
                                   syscalls=p.usage.syscalls))
        elif kind == "llm.response" and self.k.memory is not None:
            self._journal_context(ev.get("pid", 0))

    def _journal_context(self, pid: int) -> None:
        """A process's context, when the memory service holds one that can be serialised."""
        pm = self.k.memory.get(pid) if self.k.memory is not None else None
        if pm is not None:
            with contextlib.suppress(Exception):
                self._write(Record(kind="ctx", pid=pid, ts=time.time(), data=pm.context.to_bytes()))


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    j = Journaler(k)
    todo = j.recover()
    k.journal = j
    k.hooks.spawn.append(j.on_spawn)
    unsubscribe = k.events.subscribe(lambda ev: j.on_event(ev))
    stack.callback(j.journal.close)
    stack.callback(unsubscribe)
    booted = anyio.Event()
    stop_watch = k.events.subscribe(lambda ev: booted.set() if ev.get("kind") == "kernel.boot" else None)
    stack.callback(stop_watch)
    tg = await stack.enter_async_context(anyio.create_task_group())
    stack.callback(tg.cancel_scope.cancel)

    async def after_boot() -> None:  # once every subsystem is attached: resume, then clean up
        await booted.wait()
        await j.resume(todo)
        text = j.summary()
        if text:
            k.events.emit("kernel.recovered", message=text, **j.stats)
        orphans = await j.clean_orphans()
        if orphans.get("containers") or orphans.get("profiles") or orphans.get("containers_error"):
            k.events.emit("kernel.orphans", **orphans)
        j.stats.update(orphans)

    tg.start_soon(after_boot)
