"""kill -9 of a real daemon: the next boot restores what had finished, marks or resumes what ran,
skips a torn journal record, and says so."""
import json
import os
import signal
from pathlib import Path

import anyio
import pytest

from llmos.client import Client
from tests.daemon.harness import Home, wait_dead

ASSISTANT = Path(__file__).resolve().parents[2] / "apps" / "assistant" / "app.toml"


@pytest.fixture
def home():
    h = Home()
    resumer = h.path / "apps" / "resumer"
    resumer.mkdir(parents=True)
    toml = ASSISTANT.read_text().replace('name = "assistant"', 'name = "resumer"\nrestart = "resume"', 1)
    (resumer / "app.toml").write_text(toml)
    script = json.loads((h.path / "script.json").read_text())
    (h.path / "script.json").write_text(json.dumps({**script, "token_delay": 0.03}))  # slow answers: ~4 s
    try:
        yield h
    finally:
        h.teardown()


async def _before_the_crash(home):
    async with Client(home.path) as c:
        finished = {}
        for i in range(3):
            pid = await c.spawn("assistant", f"job {i}")
            finished[pid] = (await c.wait(pid, timeout=30)).result
        killed = await c.spawn("assistant", "slow to kill")
        running = await c.spawn("assistant", "slow and interrupted")
        resumed = await c.spawn("resumer", "slow but resumed")
        with anyio.fail_after(30):
            while not all(p.tokens_out > 0 for p in await c.ps() if p.pid in (killed, running, resumed)):
                await anyio.sleep(0.05)
        await c.kill(killed, "KILL")
        await c.wait(killed, timeout=30)
        before = {p.pid: p for p in await c.ps(all=True)}
        return finished, killed, running, resumed, before


def test_kill_9_then_boot_recovers(home):
    assert home.llmos("boot").returncode == 0
    finished, killed, running, resumed, before = anyio.run(_before_the_crash, home)
    assert sorted(finished.values()) == [f"you said: job {i}" for i in range(3)]

    daemon = home.daemon_pid()
    os.kill(daemon, signal.SIGKILL)
    assert wait_dead(daemon)
    with open(home.path / "state" / "journal.bin", "ab") as f:
        f.write(b"\xa7\x1b\x00\x00\x01\x00torn")  # a record the crash cut short

    boot = home.llmos("boot")
    assert boot.returncode == 0, boot.stderr
    assert ("recovered from the journal: 4 finished processes restored, 1 interrupted, 1 resumed; "
            "skipped 1 damaged journal record(s) (torn record at the end)") in boot.stdout

    async def after_the_crash():
        async with Client(home.path) as c:
            after = {p.pid: p for p in await c.ps(all=True)}
            for pid, p in before.items():
                if p.state in ("EXITED", "KILLED"):  # everything that had finished is back, unchanged
                    q = after[pid]
                    assert (q.exit_status, q.exit_reason, q.result) == (p.exit_status, p.exit_reason, p.result)
            for pid, result in finished.items():
                assert (await c.wait(pid, timeout=5)).result == result
            assert after[killed].exit_reason == "killed" and after[killed].exit_status == 137
            assert after[running].exit_reason == "interrupted" and after[running].exit_status == 75
            assert any(e["kind"] == "proc.exit" and e["reason"] == "interrupted" for e in await c.logs(running))
            assert any(e["kind"] == "proc.recovered" for e in await c.logs(min(finished)))
            r = await c.wait(resumed, timeout=60)  # resumed under its own pid, run to the end
            assert r.exit_status == 0 and r.result.endswith("end") and r.task == "slow but resumed"
            assert any(e["kind"] == "proc.resumed" for e in await c.logs(resumed))
            fresh = await c.spawn("assistant", "after the crash")  # still serving, with fresh pids
            assert fresh > resumed and (await c.wait(fresh, timeout=30)).result == "you said: after the crash"
    anyio.run(after_the_crash)
    w = home.llmos("wait", str(running))  # the CLI says it too
    assert w.returncode == 75 and "interrupted" in w.stderr
