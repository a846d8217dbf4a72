"""Resource attacks: each is contained by a limit, and the result says which one."""
from __future__ import annotations

import pytest

from sandbox import TRUNCATION_MARKER

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

MARK = TRUNCATION_MARKER.split(":")[0].strip()  # "[llmos"


async def test_fork_bomb_hits_the_pids_limit(sb):
    r = await sb.exec("bomber", "shell", "bomb() { bomb | bomb & }; bomb; sleep 60", timeout=6)
    assert r.killed == "pids", (r.killed, r.stderr[-300:])
    # the machine and the sandbox still work
    r2 = await sb.exec("bomber", "shell", "echo alive")
    assert r2.stdout == "alive\n"


async def test_python_fork_bomb(sb):
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    r = await sb.exec("bomber", "python", code, timeout=5)
    assert r.killed == "pids", r.killed


async def test_memory_bomb_is_reported_as_oom(sb):
    r = await sb.exec("hog", "python", "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 2**20))",
                      timeout=60)
    assert r.killed == "oom", (r.exit_code, r.killed, r.stderr[-300:])
    assert r.exit_code == 137


async def test_memory_bomb_in_a_child_process(sb):
    r = await sb.exec("hog", "shell", "python3 -c 'x = bytearray(2 * 1024**3)'; echo child=$?", timeout=60)
    assert "child=137" in r.stdout


async def test_cpu_loop_times_out(sb):
    r = await sb.exec("spin", "python", "while True:\n    pass", timeout=2)
    assert r.killed == "timeout"
    assert r.exit_code != 0
    assert 1.5 < r.duration_s < 30


async def test_sleep_times_out(sb):
    r = await sb.exec("sleepy", "shell", "echo before; sleep 600; echo after", timeout=2)
    assert r.killed == "timeout"
    assert "before" in r.stdout and "after" not in r.stdout


async def test_cpu_is_capped(sb):
    code = ("import time, os\nt = time.time()\nc = time.process_time()\n"
            "while time.time() - t < 1.5:\n    pass\n"
            "print(open('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').read().strip() if os.path.exists("
            "'/sys/fs/cgroup/cpu/cpu.cfs_quota_us') else open('/sys/fs/cgroup/cpu.max').read().split()[0])")
    r = await sb.exec("spin", "python", code, limits={"cpus": 0.5})
    assert r.ok, r.stderr
    assert int(r.stdout.strip()) == 50000  # 0.5 CPU of a 100 ms period


@pytest.mark.parametrize("where", ["/work", "/tmp"])
async def test_disk_fill_stops_at_the_tmpfs_size(sb, where):
    r = await sb.exec("filler", "shell",
                      f"dd if=/dev/zero of={where}/fill bs=1M count=500 2>&1; echo rc=$?; "
                      f"du -m {where}/fill | cut -f1")
    assert r.killed == ""
    assert "No space left on device" in r.stdout
    lines = r.stdout.strip().splitlines()
    assert lines[-2] != "rc=0"
    assert int(lines[-1]) <= 64


async def test_output_flood_is_truncated_and_stated(sb):
    r = await sb.exec("loud", "python", "import sys\nsys.stdout.write('x' * 3_000_000)\nprint('END')")
    bound = sb.limits.output_bytes
    assert r.truncated
    assert r.stdout.startswith("x" * 1000)
    assert MARK in r.stdout and "END" not in r.stdout
    assert len(r.stdout.encode()) <= bound + 200


async def test_endless_output_is_stopped(sb):
    r = await sb.exec("loud", "shell", "yes flood; yes flood >&2", timeout=60)
    assert r.killed == "output"
    assert r.truncated and MARK in r.stdout
    assert r.duration_s < 60


async def test_stderr_flood_is_truncated_too(sb):
    r = await sb.exec("loud", "python", "import sys\nsys.stderr.write('e' * 500_000)")
    assert r.truncated and MARK in r.stderr
    assert len(r.stderr.encode()) <= sb.limits.output_bytes + 200
