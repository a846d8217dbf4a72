"""The soak workload: processes that each issue a fixed number of syscalls, spawned through the
daemon by several clients at once, some killed at random; then the accounting."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import anyio

from apps.installer import Installer
from kernel.reliability.journal import Journal
from kernel.reliability.recovery import fold
from llmos.client import Client, KernelError

SOAKER = '''
async def run(sys, task):
    """Twenty syscalls, no two alike (the watchdog would rightly object to a loop)."""
    n = 0
    for i in range(4):
        await sys.fs.write(f"f{i}.txt", f"{task} {i}")
        n += len(await sys.fs.read(f"f{i}.txt"))
        await sys.tool.call("calculator", {"expression": f"{i} + {len(task)}"})
        await sys.llm.chat(f"{task} step {i}", max_tokens=MAX_TOKENS)
        await sys.fs.stat(f"f{i}.txt")
    return f"done {task} {n}"
'''
SOAKER_TOML = '''name = "soaker"
entry = "main:run"

[permissions]
syscalls = ["fs.*", "llm.*", "tool.*"]
tools = ["calculator"]
files = ["f*.txt"]
'''


def install(home: Path, max_tokens: int) -> None:
    """Installed trusted: the soak measures the kernel's own threads and descriptors with the app inside it."""
    folder = home / "src" / "soaker"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(SOAKER_TOML)
    (folder / "main.py").write_text(SOAKER.replace("MAX_TOKENS", str(max_tokens)))
    Installer(home).install(str(folder), trust=True, upgrade=True)


def proc_counts(pid: int) -> dict[str, int]:
    """Threads and open file descriptors of an OS process, and its Chromium descendants."""
    threads = len(os.listdir(f"/proc/{pid}/task"))
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return {"threads": threads, "fds": fds, "chromium": len(_chromium_under(pid))}


def _chromium_under(root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    out, todo = [], list(kids.get(root, []))
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                if b"chrom" in f.read().split(b"\0")[0]:
                    out.append(p)
        except OSError:
            pass
        todo += kids.get(p, [])
    return out


async def drive(home: Path, n: int, *, clients: int = 8, kill_rate: float = 0.05, seed: int = 1,
                timeout: float = 600) -> dict:
    """Spawn ``n`` soakers through ``clients`` connections; KILL or TERM a random ``kill_rate`` of them
    while they run.  Returns what each process ended as."""
    rng = random.Random(seed)
    todo = list(range(n))
    outcomes: dict[int, tuple[str, int | None, str | None]] = {}
    killed: set[int] = set()
    errors: list[str] = []

    async def worker(c: Client) -> None:
        while todo:
            i = todo.pop()
            pid = await c.spawn("soaker", f"task-{i}")
            if rng.random() < kill_rate:
                await anyio.sleep(rng.random() * 0.05)
                try:
                    await c.kill(pid, rng.choice(["KILL", "TERM"]))
                    killed.add(pid)
                except KernelError as exc:  # it finished first
                    if exc.code != "not_running":
                        errors.append(f"kill {pid}: {exc}")
            info = await c.wait(pid, timeout=timeout)
            outcomes[pid] = (info.exit_reason, info.exit_status, info.result)

    t0 = time.monotonic()
    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            c = await Client(home).__aenter__()
            tg.start_soon(_run_closing, c, worker)
    return {"outcomes": outcomes, "killed": killed, "errors": errors, "seconds": time.monotonic() - t0}


async def _run_closing(c: Client, fn) -> None:
    try:
        await fn(c)
    finally:
        await c.__aexit__(None, None, None)


def journal_results(home: Path) -> dict[int, tuple[str, int | None, str | None]]:
    recs, damage = Journal(home / "state" / "journal.bin").read()
    assert not damage, damage
    f = fold(recs)
    return {pid: (r.reason, r.status, r.result) for pid, r in f.exits.items()}


async def settle(pid: int, baseline: dict[str, int], seconds: float = 15) -> dict[str, int]:
    """Counts once they are back at the baseline (idle worker threads take a while to exit)."""
    deadline = time.monotonic() + seconds
    now = proc_counts(pid)
    while time.monotonic() < deadline and any(now[k] > baseline[k] for k in baseline):
        await anyio.sleep(0.25)
        now = proc_counts(pid)
    return now


async def steady(pid: int, quiet: float = 3.0, seconds: float = 60) -> dict[str, int]:
    """Counts once they have stopped changing for ``quiet`` seconds: the subsystems that start in
    the background (the vector store, the sandbox pool) have finished starting, so what grows
    after this is the load's doing."""
    deadline = time.monotonic() + seconds
    last, since = proc_counts(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        await anyio.sleep(0.25)
        now = proc_counts(pid)
        if now != last:
            last, since = now, time.monotonic()
    return last
