"""Exec in the sandbox: python and shell, exit codes, files in and out, limits per call."""
from __future__ import annotations

import pytest

from sandbox import ExecResult, Limits, SandboxError

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def test_python_runs_as_sandbox_user(sb):
    r = await sb.exec("p1", "python", "import os, sys\nprint('hello', os.getuid(), os.getgid())\n"
                                      "print('err', file=sys.stderr)\nsys.exit(3)")
    assert isinstance(r, ExecResult)
    assert r.stdout == "hello 1000 1000\n"
    assert r.stderr == "err\n"
    assert r.exit_code == 3 and r.killed == "" and not r.truncated
    assert r.duration_s > 0


async def test_shell_and_cwd(sb):
    r = await sb.exec("p1", "shell", "pwd; echo $HOME; false || echo recovered; exit 7")
    assert r.stdout.splitlines() == ["/work", "/work", "recovered"]
    assert r.exit_code == 7


async def test_full_stdlib_available(sb):
    r = await sb.exec("p1", "python", "import json, decimal, fractions, statistics, sqlite3\n"
                                      "print(json.dumps(statistics.mean([1, 2, 3])))")
    assert r.ok, r.stderr
    assert r.stdout.strip() == "2"


async def test_files_in_and_out(sb):
    blob = bytes(range(256)) * 10
    code = ("import pathlib\n"
            "d = pathlib.Path('data/in.bin').read_bytes()\n"
            "pathlib.Path('out').mkdir()\n"
            "pathlib.Path('out/rev.bin').write_bytes(d[::-1])\n"
            "pathlib.Path('out/sub').mkdir()\n"
            "pathlib.Path('out/sub/n.txt').write_text(str(len(d)))\n"
            "pathlib.Path('single.txt').write_text('one')\n")
    r = await sb.exec("p1", "python", code, files={"data/in.bin": blob},
                      collect=["out", "single.txt", "missing.txt"])
    assert r.ok, r.stderr
    assert r.files_out["out/rev.bin"] == blob[::-1]
    assert r.files_out["out/sub/n.txt"] == str(len(blob)).encode()
    assert r.files_out["single.txt"] == b"one"
    assert r.refused == ["missing.txt: no such file"]


async def test_files_in_are_writable_by_the_program(sb):
    r = await sb.exec("p1", "shell", "echo more >> notes/a.txt && cat notes/a.txt",
                      files={"notes/a.txt": b"first\n"}, collect=["notes/a.txt"])
    assert r.ok, r.stderr
    assert r.files_out["notes/a.txt"] == b"first\nmore\n"


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", ""])
async def test_bad_input_paths_are_refused(sb, bad):
    with pytest.raises(SandboxError) as ei:
        await sb.exec("p1", "shell", "true", files={bad: b"x"})
    assert ei.value.code == "invalid"


async def test_bad_collect_paths_are_refused_not_fetched(sb):
    r = await sb.exec("p1", "shell", "true", collect=["../../etc/passwd", "/etc/passwd"])
    assert r.files_out == {}
    assert len(r.refused) == 2 and all("outside" in x or "climbs" in x for x in r.refused)


async def test_unknown_kind(sb):
    with pytest.raises(SandboxError) as ei:
        await sb.exec("p1", "ruby", "puts 1")
    assert ei.value.code == "invalid"


async def test_files_in_size_bound(sb):
    with pytest.raises(SandboxError) as ei:
        await sb.exec("p1", "shell", "true", files={"big": b"x" * 2048},
                      limits={"files_in_bytes": 1024})
    assert ei.value.code == "limit"


async def test_per_call_limits_use_a_fresh_container(sb):
    r = await sb.exec("p1", "shell", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
                                     " || cat /sys/fs/cgroup/memory.max; df -m /work | tail -1",
                      limits={"memory_mb": 128, "work_mb": 8})
    assert r.ok, r.stderr
    lines = r.stdout.splitlines()
    assert int(lines[0]) == 128 * 1024 * 1024
    assert lines[1].split()[1] == "8"


async def test_limits_are_clamped_to_system_max(sb):
    r = await sb.exec("p1", "shell", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
                      limits=Limits(pids=10**6))
    assert r.ok, r.stderr
    assert int(r.stdout) == sb.system_max.pids


async def test_long_code_goes_in_as_a_file(sb):
    code = "x = 1\n" * 20000 + "print('long', x)\n"  # over the argv size
    r = await sb.exec("p1", "python", code)
    assert r.ok, r.stderr
    assert r.stdout == "long 1\n"


async def test_python_behaves_like_python3_c(sb):
    # python runs in a fork of the container's agent: check what `python3 -c` would give
    code = ("import os, sys, helper\n"
            "print(__name__, sys.argv, helper.VALUE, os.getcwd(), os.environ['HOME'])\n"
            "print(sorted(k for k in os.environ if 'nonce' in k.lower() or 'LLMOS' in k))\n"
            "print('unbuffered', flush=False)\n"
            "import time\n"
            "while True:\n    time.sleep(1)\n")
    r = await sb.exec("p1", "python", code, files={"helper.py": b"VALUE = 7\n"}, timeout=3)
    assert r.killed == "timeout"
    lines = r.stdout.splitlines()
    assert lines[0] == "__main__ ['-c'] 7 /work /work"
    assert lines[1] == "[]"
    assert lines[2] == "unbuffered"  # written before the kill, so not held in a buffer


@pytest.mark.parametrize("code,exit_code,stderr_has", [
    ("import sys\nsys.exit(3)", 3, ""),
    ("import sys\nsys.exit('bad input')", 1, "bad input"),
    ("x = 1\nraise ValueError('boom')", 1, 'File "<string>", line 2, in <module>\nValueError: boom'),
    ("import os\nos.kill(os.getpid(), 9)", 137, ""),
])
async def test_python_exit_codes_and_tracebacks(sb, code, exit_code, stderr_has):
    r = await sb.exec("p1", "python", code)
    assert r.exit_code == exit_code, r.stderr
    assert stderr_has in r.stderr
    if "Traceback" in r.stderr:
        assert r.stderr.count('File "') == 1  # only the program's frame, none of the agent's
