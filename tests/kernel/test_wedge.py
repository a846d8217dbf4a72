"""Blocking calls that may never return: abandoned on cancel, and never holding the process at exit."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import anyio
import pytest

from kernel.proc.wedge import run_abandonable

pytestmark = pytest.mark.anyio


async def test_value_and_error_come_back():
    assert await run_abandonable(lambda: 6 * 7) == 42
    with pytest.raises(ZeroDivisionError):
        await run_abandonable(lambda: 1 / 0)


async def test_cancelling_abandons_the_call():
    release = threading.Event()
    t0 = time.monotonic()
    with anyio.move_on_after(0.2):
        await run_abandonable(release.wait)
    assert time.monotonic() - t0 < 2
    release.set()


def test_an_abandoned_call_does_not_hold_the_process_at_exit():
    code = ("import anyio, time\n"
            "from kernel.proc.wedge import run_abandonable\n"
            "async def main():\n"
            "    with anyio.move_on_after(0.2):\n"
            "        await run_abandonable(lambda: time.sleep(120))\n"
            "anyio.run(main)\n"
            "print('exited')\n")
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "exited" and out.returncode == 0, out.stderr
    assert time.monotonic() - t0 < 30  # not the 120 s the call would take (anyio's worker threads wait for it)
