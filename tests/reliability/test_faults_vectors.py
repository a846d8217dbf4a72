"""The vector store's disk filling up under the kernel: mem.store fails with a typed error, and the
kernel serves on.

The first write to a full disk fails cleanly with ``io`` (not retryable). chromadb (1.5.9) does not
recover from it: a later call was seen to block for good inside its Rust core while holding the
GIL, which froze every thread of the process (the kernel, its timeouts, even pytest-timeout). So
the store closes itself at the first disk error, and every later memory call fails at once with
``io``; a store call that still hangs ends at the syscall timeout with ``timeout``.

The kernel's own memory manager runs here, its chromadb store (``<home>/vectors``) on a small tmpfs."""
import contextlib
import os
import subprocess
import threading

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig

pytestmark = pytest.mark.anyio


APP = """
from syscalls.errors import SyscallError
async def run(sys, task):
    await sys.mem.store("the launch code is 4711")
    await sys.proc.recv()  # the test now makes the disk full
    try:
        await sys.mem.store("one more fact")
        stored = "stored"
    except SyscallError as e:
        stored = f"{e.code}:{e.retryable}"
    try:
        recalled = (await sys.mem.recall("launch code", k=1))[0].text
    except SyscallError as e:
        recalled = f"{e.code}:{e.retryable}"
    return stored + "|" + recalled
"""


@pytest.fixture
def tmpfs(tmp_path):
    where = tmp_path / "disk"
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _fill(where):
    with open(where / "filler", "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(b"\0" * 65536)
            f.flush()
            os.fsync(f.fileno())


async def test_a_full_disk_under_the_store(tmp_path, registry, make_app, tmpfs):
    """A read-only store is covered at the driver level (tests/vectors): a live sqlite file keeps a
    tmpfs from being remounted read-only under it."""
    make_app("rememberer", code=APP, syscalls=["mem.*", "proc.*"])
    home = tmp_path / "h"
    home.mkdir()
    (tmpfs / "store").mkdir()
    (home / "vectors").symlink_to(tmpfs / "store", target_is_directory=True)  # the store's disk is the tmpfs
    cfg = KernelConfig(home=str(home), subsystems=["memory"], syscall_timeout=5)
    async with Kernel(cfg, engine=ScriptedEngine(default="x"), registry=registry) as k:
        vs = k.memory.store
        pid = await k.spawn("rememberer")
        proc = k.ptable.get(pid)
        with anyio.fail_after(30):
            while proc.current != "proc.recv":
                assert proc.alive, (proc.exit_reason, proc.error)
                await anyio.sleep(0.02)
        await anyio.to_thread.run_sync(_fill, tmpfs)
        k.inbox(proc).put(0, "go")
        p = await k.wait(pid, timeout=30)
        stored, recalled = p.result.split("|")
        assert stored in ("io:False", "timeout:True"), p.result  # typed either way, never a traceback
        if stored == "io:False":
            assert recalled == "io:False", p.result  # at once: the store closed itself
        errors = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and not e["ok"]]
        assert errors[0]["error"] == stored.split(":")[0]
        # the kernel serves on: a process that needs no disk runs as ever
        make_app("talker", code="async def run(sys, task):\n    return (await sys.llm.chat('hi')).text\n")
        assert (await k.wait(await k.spawn("talker"), timeout=10)).result == "x"
    closer = threading.Thread(target=vs.close, daemon=True)
    closer.start()
    closer.join(5)
    assert not closer.is_alive()  # a failed store is not asked to close
