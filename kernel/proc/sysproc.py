"""The ``proc`` syscalls (xv6's sysproc.c): spawn, wait, kill, ps, exit, send and recv."""
from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import msgspec

from apps.manifest import Budgets
from kernel.errors import ProcessExit
from kernel.proc.process import Process, State
from kernel.syscall.perm import privilege_granted, refusal, spawn_granted
from syscalls import Empty
from syscalls import proc as p
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied, Timeout

if TYPE_CHECKING:
    from kernel.kernel import Kernel

INBOX_SIZE = 64


async def spawn(k: Kernel, proc: Process, req: p.Spawn) -> p.Spawned:
    if not spawn_granted(proc, req.app):
        raise PermissionDenied(refusal(proc, "spawn", req.app, f"spawning '{req.app}'"))
    try:
        budgets = msgspec.convert(req.budgets, Budgets, strict=False)  # 3000.0 tokens is 3000 tokens
    except msgspec.ValidationError as exc:
        raise InvalidArgument(f"proc.spawn budgets: {exc}") from None
    pid = await k.spawn(req.app, req.task, parent=proc.pid, priority=req.priority, budgets=budgets,
                        permissions=req.permissions)
    return p.Spawned(pid=pid)


def _own_child(k: Kernel, proc: Process, pid: int) -> Process:
    child = k.ptable.get(pid)
    if child is None or child.ppid != proc.pid:
        raise NotFound(f"pid {pid} is not a child of pid {proc.pid}")
    return child


async def wait(k: Kernel, proc: Process, req: p.Wait) -> p.Waited:
    if req.pid is not None:
        targets = [_own_child(k, proc, req.pid)]
    else:
        targets = k.ptable.children(proc.pid)
        if not targets:
            raise NotFound(f"pid {proc.pid} has no children to wait for")
    with anyio.move_on_after(req.timeout) as scope, k.engines.lend(proc, targets):  # priority inheritance
        child = await k.wait_any(targets)
    if scope.cancelled_caught:
        raise Timeout(f"no child ended within {req.timeout:g} s", retryable=True)
    k.ptable.reap(child.pid)
    return p.Waited(pid=child.pid, state=child.state.value, exit_reason=child.exit_reason,
                    exit_status=child.exit_status or 0, result=child.result or "")


async def kill(k: Kernel, proc: Process, req: p.Kill) -> Empty:
    target = k.ptable.get(req.pid)
    if target is None:
        raise NotFound(f"no process {req.pid}")
    if not k.ptable.is_descendant(req.pid, proc.pid):
        raise PermissionDenied(f"pid {proc.pid} may signal only its own descendants, not pid {req.pid}")
    k.signal(req.pid, req.signal)
    return Empty()


async def ps(k: Kernel, proc: Process, req: p.Ps) -> p.PsReply:
    """The caller's own tree (itself and its descendants); every process only with ``proc.ps.all``.

    Other processes' tasks and results are other apps' data ("my bank password is ..."), so an app
    does not see them, nor its ancestors' (it knows its parent's pid from its own ``ppid``)."""
    if req.all and not ps_all_granted(k, proc):
        raise PermissionDenied(f"app '{proc.app}' may list only its own process tree; listing every process "
                               f"needs '{p.PS_ALL}' in [permissions] syscalls (for it and every ancestor)")
    procs = [k.info(q) for q in k.ptable.all() if req.all or q.pid == proc.pid
             or k.ptable.is_descendant(q.pid, proc.pid)]
    return p.PsReply(procs=procs)


def ps_all_granted(k: Kernel, proc: Process) -> bool:
    """``proc.ps.all`` written out in the grants of the process and of each ancestor that has grants,
    so a parent without it cannot see everything through a child that has it."""
    seen: set[int] = set()
    q: Process | None = proc
    while q is not None and q.pid not in seen:
        if not privilege_granted(q, p.PS_ALL):
            return False
        seen.add(q.pid)
        q = k.ptable.get(q.ppid) if q.ppid else None
    return True


async def exit_(k: Kernel, proc: Process, req: p.Exit) -> Empty:
    raise ProcessExit(req.result, req.status)


def related(k: Kernel, a: Process, b: Process) -> bool:
    """Processes of one family: ancestor and descendant, or children of the same parent."""
    t = k.ptable
    return (t.is_descendant(a.pid, b.pid) or t.is_descendant(b.pid, a.pid)
            or (a.ppid != 0 and a.ppid == b.ppid))


async def send(k: Kernel, proc: Process, req: p.Send) -> Empty:
    target = k.ptable.get(req.pid)
    if target is None or not target.alive:
        raise NotFound(f"no live process {req.pid}")
    if target.pid == proc.pid or not related(k, proc, target):
        raise PermissionDenied(f"pid {proc.pid} may message only its own family (parent, children, siblings, "
                               f"ancestors, descendants), not pid {req.pid}")
    if len(k.encode_message(req.message)) > 64 * 1024:
        raise InvalidArgument("message larger than 64 KiB")
    k.inbox(target).put(proc.pid, req.message)
    return Empty()


async def recv(k: Kernel, proc: Process, req: p.Recv) -> p.Message:
    box = k.inbox(proc)
    proc.set_state(State.SLEEPING)
    try:
        with anyio.move_on_after(req.timeout) as scope:
            sender, message = await box.get()
    finally:
        if proc.alive:
            proc.set_state(State.WAITING)
    if scope.cancelled_caught:
        raise Timeout(f"no message within {req.timeout:g} s", retryable=True)
    return p.Message(sender=sender, message=message)
