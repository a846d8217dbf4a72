"""The kernel: boots the engine and drivers, spawns and signals processes, routes their syscalls."""
from __future__ import annotations

import contextlib
import math
import time
import traceback
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterator

import anyio
import msgspec

from apps.manifest import Budgets, Manifest, Permissions
from apps.registry import AppRegistry
from drivers.files import Workspace
from drivers.llm import Engine
from drivers.tools import Tool, builtin_tools
from kernel import boot, klog
from kernel.config import KernelConfig
from kernel.errors import ProcessExit
from kernel.events import EventLog
from kernel.proc import budget, runner
from kernel.proc.inbox import Inbox
from kernel.proc.process import USER_NAME, Process, State
from kernel.proc.ptable import ProcTable, next_pid_on_disk, save_next_pid
from kernel.sched import kvfollow
from kernel.sched.engines import EngineSet
from kernel.sched.scheduler import Scheduler
from kernel.seams import Instrument, Rules
from kernel.syscall import transfer
from kernel.syscall.dispatch import dispatch
from syscalls import InProcTransport, Sys
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied, SyscallError, Terminated
from syscalls.proc import ProcInfo

if TYPE_CHECKING:
    from drivers.browser import BrowserDriver
    from kernel.api.openai.calls import Calls
    from kernel.memory.kernelmem import KernelMemory
    from kernel.reliability.boot_journal import Journaler
    from kernel.reliability.faults import FaultPlan
    from kernel.reliability.watchdog import Watchdog
    from kernel.syscall.person import PersonDesk
    from sandbox import Sandbox

SIGNALS = ("TERM", "KILL", "STOP", "CONT")
STATUS = {"killed": 137, "terminated": 143}
BUDGET_STATUS = 152  # like SIGXCPU: a resource limit ended it
Person = Callable[[Process, str, str], Awaitable[str]]


class Kernel:
    """Use as ``async with Kernel(config) as k: pid = await k.spawn("assistant", "..."); await k.wait(pid)``."""

    def __init__(self, config: KernelConfig | None = None, *, engine: Engine | None = None,
                 registry: AppRegistry | None = None, tools: dict[str, Tool] | None = None,
                 memory: KernelMemory | None = None, person: Person | None = None, rules: Rules | None = None,
                 sandbox: Sandbox | None = None, browser: BrowserDriver | None = None,
                 engines: dict[str, Engine] | None = None):
        self.config = config or KernelConfig()
        self.home = self.config.home_path()
        # "default" (config.model) and the named engines (config.engines), each with its own scheduler; opened
        # at boot unless given (``engine`` is the default one, ``engines`` any by name)
        self.engines = EngineSet(self.config, default=engine, given=engines)
        self.registry = registry or AppRegistry(installed_dir=self.home / "apps")
        self.tools: dict[str, Tool] = {**builtin_tools(), **(tools or {})}
        # the optional parts (kernel/boot.py): None until their boot step sets them, and when it could not
        self.memory: KernelMemory | None = memory  # context as RAM, the vector store as disk
        self.person: Person | None = person
        self.rules: Rules | None = rules
        self.desk: PersonDesk | None = None  # questions waiting for a person (kernel/syscall/person.py)
        self.sandbox: Sandbox | None = sandbox
        self.browser: BrowserDriver | None = browser
        self.watchdog: Watchdog | None = None  # kernel/reliability/watchdog.py
        self.journal: Journaler | None = None  # kernel/reliability/boot_journal.py
        self.faults: FaultPlan | None = None  # kernel/reliability/faults.py (tests)
        self.ptable = ProcTable(first_pid=1)
        self.events = EventLog()
        self.tokens_out = 0
        self.started = time.time()
        self._inboxes: dict[int, Inbox] = {}
        self.instruments: list[Instrument] = []  # trio-style hooks (kernel/seams.py)
        self.hooks = boot.Hooks()  # per-process spawn/exit hooks the subsystems add
        self.pauses = kvfollow.PauseClock()  # how long each syscall keeps a process from the model
        self.api_calls: Calls | None = None  # the OpenAI API's keys and calls (kernel/api/openai), set at boot
        self.api_url = ""  # where that API listens, e.g. http://127.0.0.1:8470/v1 ("" when off)
        self._tg: anyio.abc.TaskGroup | None = None
        self._stack: contextlib.AsyncExitStack[bool | None] | None = None
        self._encoder = msgspec.json.Encoder()

    @property
    def engine(self) -> Engine:
        """The default engine (boot messages, the shell); a process's own is ``engines.of(proc).engine``."""
        return self.engines.engine()

    @property
    def sched(self) -> Scheduler:
        """The default engine's scheduler; a process's own is ``engines.of(proc).sched``."""
        return self.engines.core().sched

    @property
    def tg(self) -> anyio.abc.TaskGroup:
        """The kernel's own task group (grace timers, background warm-ups); open while the kernel runs."""
        if self._tg is None:
            raise RuntimeError("the kernel has no task group before it boots (`async with Kernel(...)`)")
        return self._tg

    # -- lifecycle -------------------------------------------------------------------------------
    async def __aenter__(self) -> "Kernel":
        for sub in ("logs", "workspaces", "apps", "state"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        klog.configure(self.home / "logs" / "kernel.jsonl", console=self.config.log_console,
                       level=self.config.log_level)
        await self.engines.start()  # all of them, or none and an error that names the one that failed
        self.ptable = ProcTable(first_pid=next_pid_on_disk(self.home))
        self._stack = stack = contextlib.AsyncExitStack()
        self._tg = tg = await stack.enter_async_context(anyio.create_task_group())
        try:
            await boot.attach_all(self, stack)
        except BaseException:  # a part it must not run without (the rules): undo what started, then say why
            tg.cancel_scope.cancel()
            await stack.__aexit__(None, None, None)
            await self.engines.close()
            raise
        self.events.emit("kernel.boot", model=self.engine.name, slots=self.engine.n_slots, policy=self.config.policy,
                         engines={c.name: c.engine.name for c in self.engines})
        return self

    async def __aexit__(self, *exc: Any) -> None:
        with anyio.CancelScope(shield=True):
            await self.halt()
            self.events.emit("kernel.shutdown")
        self.tg.cancel_scope.cancel()  # grace timers and other kernel tasks
        if self._stack is not None:
            await self._stack.__aexit__(None, None, None)
        await self.engines.close()

    # -- processes -------------------------------------------------------------------------------
    async def spawn(self, app: str, task: str = "", *, parent: int = 0, priority: int | None = None,
                    budgets: dict[str, float] | Budgets | None = None,
                    permissions: list[str] | Permissions | None = None, pid: int | None = None,
                    files: dict[str, bytes] | None = None, manifest: Manifest | None = None,
                    program: Any = None, engine: str | None = None, user: str | None = None) -> int:
        """Start ``app`` on ``task``; ``files`` (name -> bytes) are put in its workspace before it runs,
        each within the app's files scope (kernel/syscall/transfer.py).  ``manifest`` runs an app that is not
        installed (``llmos exec --manifest``); ``program`` makes the process an external program
        (kernel/proc/execprog.py) instead of the app's entry; ``engine`` picks the engine it runs on by name
        (else kernel/sched/engines.py routes it); ``user`` names whose memory it reads and writes (else its
        parent's, else the kernel's user): ``llmos eval`` gives each item its own."""
        if user is not None and not USER_NAME.fullmatch(user):
            raise InvalidArgument(f"user {user[:80]!r}: 1 to 100 letters, digits, '_', '.', '@' or '-'")
        try:
            manifest = manifest or self.registry.get(app)
        except KeyError:
            raise NotFound(self.registry.not_found(app)) from None
        perms, budg = manifest.permissions, manifest.budgets
        core = self.engines.core(self.engines.route(manifest, engine))  # refused here, before a pid is spent
        lineage: tuple[tuple[str, Any], ...] = ()
        parent_proc = self.ptable.live(parent) if parent else None
        if parent and parent_proc is None:
            raise NotFound(f"parent pid {parent} is not running")
        if isinstance(budgets, dict):
            budgets = msgspec.convert(budgets, Budgets)
        if budgets is not None:
            given = msgspec.structs.asdict(budgets)
            budg = msgspec.structs.replace(budg, **{f: v for f, v in given.items() if v is not None})
        if budg.tokens is None and self.config.max_tokens is not None:
            budg = msgspec.structs.replace(budg, tokens=self.config.max_tokens)
        if parent_proc is not None:
            budg = runner.inherit(parent_proc, budg)
            lineage = runner.lineage(parent_proc, manifest.name, permissions)
            parent_proc.usage.children += 1
            if budget.breached(parent_proc, ("children",)):
                parent_proc.usage.children -= 1
                raise PermissionDenied(f"pid {parent} has used its budget of children")
        for name, data in (files or {}).items():  # refuse before a pid is spent
            transfer.check(manifest.name, perms, name)
            if len(data) > transfer.MAX_COPY:
                raise InvalidArgument(f"{name}: {len(data)} bytes is over the {transfer.MAX_COPY} bytes a copy "
                                      "may carry")
        if pid is None or self.ptable.get(pid) is not None:  # a pid is given only to resume a journaled process
            pid = self.ptable.alloc_pid()
            save_next_pid(self.home, pid)
        ws = Workspace(self.home / "workspaces" / str(pid)).create()
        for name, data in (files or {}).items():
            transfer.put(ws, manifest.name, perms, name, data)
        proc = Process(pid, parent, manifest.name, task, priority=manifest.priority if priority is None else priority,
                       permissions=perms, budgets=budg, workspace=ws, lineage=lineage)
        proc.engine, proc.ctx_limit = core.name, core.share
        proc.user = user or (parent_proc.user if parent_proc is not None else "")
        proc.scope = anyio.CancelScope()
        proc.program = program
        proc.on_state = self._state_changed
        self.ptable.add(proc)
        self.events.emit("proc.spawn", pid, ppid=parent, app=manifest.name, task=task[:200], engine=core.name)
        await self._run_hooks(self.hooks.spawn, proc, manifest)
        self.tg.start_soon(self._run, proc, manifest)
        return pid

    def sys_for(self, proc: Process) -> Sys:
        return Sys(InProcTransport(partial(dispatch, self, proc)), pid=proc.pid, task=proc.task, app=proc.app)

    async def _run(self, proc: Process, manifest: Manifest) -> None:
        reason, status, result, killed = "exited", 0, None, False
        scope = proc.scope = proc.scope or anyio.CancelScope()  # spawn sets it before the process is listed
        try:
            with scope:
                wall = budget.limits(proc).get("wall_seconds")
                # a scope, not fail_after: its deadline moves out while the process waits for a person
                proc.wall_scope = wall_scope = anyio.CancelScope(
                    deadline=anyio.current_time() + wall if wall else math.inf)
                try:
                    with wall_scope:
                        result = await runner.run_app(self, proc, manifest)
                    if wall_scope.cancelled_caught:
                        reason, status = "budget:wall_seconds", BUDGET_STATUS
                except ProcessExit as e:
                    result, status = e.result, e.status
                except Terminated:
                    reason, status = "terminated", STATUS["terminated"]
                except SyscallError as e:
                    reason, status, proc.error = "error", 1, str(e)
                except Exception as e:
                    reason, status, proc.error = "crashed", 1, f"{type(e).__name__}: {e}"
                    self.events.emit("proc.crash", proc.pid, error=proc.error, trace=traceback.format_exc(limit=8))
            if scope.cancelled_caught or proc.kill_reason:
                killed, reason = True, proc.kill_reason or "killed"
                status = BUDGET_STATUS if reason.startswith("budget:") else STATUS.get(reason, 137)
        finally:
            with anyio.CancelScope(shield=True):
                await self._finish(proc, reason, status, result, killed)

    async def _finish(self, proc: Process, reason: str, status: int, result: Any, killed: bool) -> None:
        for child in self.ptable.children(proc.pid):
            if child.alive:
                self.signal(child.pid, "KILL")
        for release in runner.releasers(self):
            with contextlib.suppress(Exception), anyio.move_on_after(self.config.syscall_timeout):  # a hung driver
                await release(str(proc.pid))
        await self._run_hooks(self.hooks.exit, proc)
        self.engines.forget(proc, kv=self.config.kv_follow)  # scheduler records and kept KV of a process that is gone
        proc.exit_reason, proc.exit_status = reason, status
        proc.result = result if isinstance(result, str) or result is None else self._encoder.encode(result).decode()
        proc.ended = time.time()
        parent = self.ptable.get(proc.ppid) if proc.ppid else None
        if parent is not None:
            parent.usage.children_tokens += proc.usage.tokens  # what the child spent comes out of the parent
            parent.usage.children_in += proc.usage.tokens_in + proc.usage.children_in
            parent.usage.children_out += proc.usage.tokens_out + proc.usage.children_out
            runner.settle(parent, proc)  # and what it was promised but did not spend goes back
        proc.set_state(State.KILLED if killed else State.EXITED)
        self._inboxes.pop(proc.pid, None)
        self.events.emit("proc.exit", proc.pid, reason=reason, status=status, tokens=proc.usage.tokens,
                         syscalls=proc.usage.syscalls, result=(proc.result or "")[:500], error=proc.error[:500])
        proc.done.set()

    async def _run_hooks(self, hooks: list[Callable[..., Awaitable[Any]]], *args: Any) -> None:
        for hook in hooks:
            try:
                with anyio.fail_after(self.config.syscall_timeout):  # a hung subsystem must not hang the kernel
                    await hook(*args)
            except Exception as exc:  # a subsystem's hook must not take a process or the kernel down
                self.events.emit("kernel.hook", args[0].pid, hook=getattr(hook, "__qualname__", "?"),  # probe: a partial has no name
                                 error=f"{type(exc).__name__}: {exc}")

    def signal(self, pid: int, sig: str) -> None:
        sig = sig.upper().removeprefix("SIG")
        if sig not in SIGNALS:
            raise ValueError(f"unknown signal {sig!r}; use one of {', '.join(SIGNALS)}")
        proc = self.ptable.live(pid)
        if proc is None:
            raise NotFound(f"no running process {pid}")
        self.events.emit("proc.signal", pid, signal=sig)
        if sig == "KILL":
            self._kill(proc, "killed")
        elif sig == "TERM":
            proc.term_requested = True
            if proc.syscall_cancel is not None:
                proc.syscall_cancel.cancel()
            self.tg.start_soon(self._term_grace, proc)
        elif sig == "STOP" and not proc.stop_requested:
            proc.stop_requested, proc.cont_event = True, anyio.Event()
            proc.stop()
        elif sig == "CONT" and proc.stop_requested:
            proc.stop_requested = False
            proc.cont()
            proc.cont_event.set()
            self.engines.wake()  # it may have been waiting for a slot while stopped

    def _state_changed(self, proc: Process, old: State, new: State) -> None:
        self.events.note("proc.state", proc.pid, old=old.value, new=new.value)

    def _kill(self, proc: Process, reason: str) -> None:
        if not proc.kill_reason:
            proc.kill_reason = reason
        for child in self.ptable.children(proc.pid):
            if child.alive:
                self._kill(child, "killed")
        if proc.stop_requested:  # a stopped process dies too
            proc.stop_requested = False
            proc.cont_event.set()
        if proc.scope is not None:  # None only before spawn lists it
            proc.scope.cancel()

    async def _term_grace(self, proc: Process) -> None:
        await anyio.sleep(self.config.term_grace)
        if proc.alive:
            self._kill(proc, "terminated")

    async def breach(self, proc: Process, name: str) -> None:
        """End ``proc`` for exceeding budget ``name``; does not return inside the process's task."""
        self.events.emit("proc.budget", proc.pid, budget=name, limit=budget.limits(proc).get(name))
        self._kill(proc, f"budget:{name}")
        await anyio.lowlevel.checkpoint()

    async def wait(self, pid: int, timeout: float | None = None) -> Process:
        proc = self.ptable.get(pid)
        if proc is None:
            raise NotFound(f"no process {pid}")
        with anyio.fail_after(timeout) if timeout else contextlib.nullcontext():
            await proc.done.wait()
        return proc

    async def wait_any(self, procs: list[Process]) -> Process:
        for p in procs:
            if not p.alive:
                return p
        winner: list[Process] = []
        async with anyio.create_task_group() as tg:
            async def watch(p: Process) -> None:
                await p.done.wait()
                winner.append(p)
                tg.cancel_scope.cancel()
            for p in procs:
                tg.start_soon(watch, p)
        return winner[0]

    async def halt(self) -> int:
        """The kill switch: KILL every live process and wait until all are gone."""
        live = [p for p in self.ptable if p.alive]
        for p in live:
            self._kill(p, "killed")
        for p in live:
            await p.done.wait()
        if live:
            self.events.emit("kernel.halt", killed=len(live))
        return len(live)

    # -- hooks used by syscalls ------------------------------------------------------------------
    async def syscall_entry(self, proc: Process) -> None:
        await self.wait_while_stopped(proc)
        name = budget.breached(proc, ("syscalls", "tokens", "llm_seconds", "steps"))
        if name:
            await self.breach(proc, name)

    async def wait_while_stopped(self, proc: Process) -> None:
        while proc.stop_requested:
            await proc.cont_event.wait()

    @contextlib.contextmanager
    def syscall_scope(self, proc: Process) -> Iterator[None]:
        """The scope TERM cancels so a process blocked in a syscall sees ``Terminated`` at once."""
        with anyio.CancelScope() as scope:
            proc.syscall_cancel = scope
            try:
                yield
            finally:
                proc.syscall_cancel = None
        if scope.cancelled_caught:
            proc.term_requested = False
            raise Terminated("TERM received: clean up and exit")

    async def check_rules(self, proc: Process, name: str, req: Any) -> None:
        if self.rules is not None:
            await self.rules.check(self, proc, name, req)

    def inbox(self, proc: Process) -> Inbox:
        box = self._inboxes.get(proc.pid)
        if box is None:
            box = self._inboxes[proc.pid] = Inbox()
        return box

    def encode_message(self, message: Any) -> bytes:
        return self._encoder.encode(message)

    def info(self, p: Process) -> ProcInfo:
        return p.info()

    def workspace_path(self, pid: int) -> Path:
        return self.home / "workspaces" / str(pid)
