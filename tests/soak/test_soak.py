"""Load through the daemon on a real socket: many processes, twenty syscalls each, random kills.
Afterwards every process has an exit status, every result is in the journal, and nothing leaks
(LLM slots, threads, file descriptors, containers, Chromium).  ``make soak`` runs the full size
and writes its figures to docs/reliability.md; the normal suite runs a short version."""
from __future__ import annotations

import datetime
import re
from pathlib import Path

import anyio
import pytest

from kernel.reliability.journal import Journal
from kernel.reliability.recovery import fold
from llmos.client import Client
from tests.daemon.harness import Home

from . import load

DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
HEADER = ("| model | processes | syscalls | finished | killed | lost | leaks | threads | fds | duration "
          "| date |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
LIVE = {"NEW", "READY", "RUNNING", "WAITING", "BLOCKED", "SLEEPING", "STOPPED"}


POOL = 2  # KernelConfig.sandbox_pool: warm containers the daemon keeps started


def soak(n: int, *, model: str = "scripted", max_tokens: int = 8, kill_rate: float = 0.05,
         clients: int = 8) -> dict:
    home = Home(model=model)
    load.install(home.path, max_tokens)
    (home.path / "script.json").write_text('{"token_delay": 0.0}')  # the scripted model echoes at once
    try:
        boot = home.llmos("boot", timeout=300)
        assert boot.returncode == 0, boot.stderr
        daemon = home.daemon_pid()
        anyio.run(lambda: load.drive(home.path, 4, clients=2, kill_rate=0))  # warm-up: pools exist
        baseline = anyio.run(lambda: load.steady(daemon))
        run = anyio.run(lambda: load.drive(home.path, n, clients=clients, kill_rate=kill_rate))
        return check(home, daemon, n, run, baseline, model)
    finally:
        home.teardown()


def check(home: Home, daemon: int, n: int, run: dict, baseline: dict, model: str) -> dict:
    outcomes, killed = run["outcomes"], run["killed"]
    assert not run["errors"], run["errors"][:3]
    lost = n - sum(1 for o in outcomes.values() if o[1] is not None)
    assert lost == 0, f"{lost} processes have no exit status"
    for pid, (reason, status, result) in outcomes.items():
        if reason == "exited":
            assert status == 0 and result.startswith("done task-"), (pid, reason, result)
        else:  # only the processes we killed end otherwise
            assert pid in killed and reason in ("killed", "terminated") and status in (137, 143), (pid, reason)
    journaled = load.journal_results(home.path)
    missing = [pid for pid, o in outcomes.items() if journaled.get(pid) != o]
    assert not missing, f"not in the journal as they ended: {missing[:5]}"

    async def kernel_state():
        async with Client(home.path) as c:
            return await c.status()
    st = anyio.run(kernel_state)
    assert st.slots_busy == 0 and st.queued == 0, st
    assert not LIVE & set(st.by_state), st.by_state
    after = anyio.run(lambda: load.settle(daemon, baseline))
    leaks = {k: max(0, after[k] - baseline[k]) for k in baseline}
    recs, _ = Journal(home.path / "state" / "journal.bin").read()
    sandboxes = fold(recs).sandboxes  # sandbox ids this daemon used, if a sandbox was attached
    containers = _containers(sandboxes)
    assert leaks == {"threads": 0, "fds": 0, "chromium": 0} and containers == 0, (leaks, baseline, after)
    syscalls = sum(r.syscalls for r in fold(recs).exits.values() if r.pid in outcomes)
    return {"model": model or "SmolLM2-135M (embedded)", "processes": n, "syscalls": syscalls, "killed": len(killed),
            "finished": sum(o[0] == "exited" for o in outcomes.values()), "lost": lost,
            "leaks": sum(leaks.values()) + containers, "threads": f"{baseline['threads']} -> {after['threads']}",
            "fds": f"{baseline['fds']} -> {after['fds']}", "containers": containers,
            "seconds": round(run["seconds"], 1)}


def _containers(sandboxes: dict) -> int:
    """Containers of this daemon that are not its idle warm pool: each one a leak."""
    if not sandboxes:
        return 0  # no sandbox attached: nothing of this daemon's can be running in Docker
    from sandbox import policy
    from sandbox.engine import connect
    client = connect()
    try:
        found = [c for s in sandboxes for c in client.api.containers(all=True, filters={"label": f"llmos.kernel={s}"})]
    finally:
        client.close()
    warm = [c for c in found if c["Labels"].get(policy.LABEL_OWNER) == policy.UNBOUND]
    # the pool keeps up to its size started for the next process; a used one is destroyed, never returned
    return len(found) - min(len(warm), POOL)


def record(section: str, figures: dict) -> None:
    """Write one run's figures between ``<!-- soak:SECTION -->`` markers in docs/reliability.md."""
    row = (f"| {figures['model']} | {figures['processes']} | {figures['syscalls']} | {figures['finished']} | "
           f"{figures['killed']} | {figures['lost']} | {figures['leaks']} | {figures['threads']} | "
           f"{figures['fds']} | {figures['seconds']} s | {datetime.date.today()} |")
    text = DOC.read_text()
    begin, end = f"<!-- soak:{section} -->", f"<!-- /soak:{section} -->"
    table = HEADER + row
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: f"{begin}\n{table}\n{end}", text, flags=re.DOTALL)
    DOC.write_text(text)


def test_soak_short():
    figures = soak(40, kill_rate=0.1, clients=4)
    assert figures["processes"] == 40 and figures["lost"] == 0 and figures["leaks"] == 0
    assert figures["syscalls"] >= 20 * figures["finished"]


@pytest.mark.soak
def test_soak_scripted_1000():
    figures = soak(1000)
    record("scripted", figures)
    assert figures["syscalls"] >= 20 * figures["finished"]


@pytest.mark.soak
@pytest.mark.real_model
def test_soak_real_model_50():
    figures = soak(50, model="", max_tokens=8, clients=4)
    record("real", figures)
