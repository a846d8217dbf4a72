"""Processes that try to outlive their run (setsid, nohup, double fork) are gone afterwards."""
from __future__ import annotations

import subprocess
import uuid

import anyio
import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


def _host_procs(tag: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if tag in line and "ps -eo" not in line]


async def _gone(tag: str) -> bool:
    for _ in range(100):
        if not _host_procs(tag):
            return True
        await anyio.sleep(0.1)
    return False


ESCAPE = ("setsid sleep {n} </dev/null >/dev/null 2>&1 & "
          "nohup sleep {n} >/dev/null 2>&1 & "
          "( ( sleep {n} & ) & ) ; "
          "python3 -c 'import os, time\nif os.fork() == 0:\n os.setsid()\n os.execlp(\"sleep\", \"sleep\", \"{n}\")' ; ")


async def test_orphans_die_when_the_run_ends(sb):
    n = 40000 + uuid.uuid4().int % 10000
    tag = f"sleep {n}"
    r = await sb.exec("orphaner", "shell", ESCAPE.format(n=n) + "sleep 0.3; ps -eo args | grep -c '^sleep'")
    assert r.ok, r.stderr
    assert int(r.stdout.strip()) >= 4  # they really were running inside
    assert await _gone(tag), _host_procs(tag)


async def test_orphans_die_on_release(sb):
    n = 50000 + uuid.uuid4().int % 10000
    tag = f"sleep {n}"

    async def run():
        await sb.exec("orphaner2", "shell", ESCAPE.format(n=n) + "sleep 300", timeout=120)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        for _ in range(200):
            if len(_host_procs(tag)) >= 4:
                break
            await anyio.sleep(0.05)
        assert len(_host_procs(tag)) >= 4
        assert await sb.release("orphaner2") == 1
    assert await _gone(tag), _host_procs(tag)
