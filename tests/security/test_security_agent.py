"""Inside the sandbox the code cannot reach the in-container agent (PID 1), and /dev/shm is sized.

The code runs as uid 1000 with no capabilities; the agent runs as another uid (0) with only
CAP_SETUID, CAP_SETGID and CAP_KILL.  So ptrace, /proc/1/mem and signals to PID 1 all fail, for
``python`` jobs (a fork of the agent) and ``shell`` jobs (a Popen) alike.  /dev/shm is a tmpfs of
``shm_mb`` like /tmp and /work."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

PTRACE = r"""
import ctypes, errno, os, signal
libc = ctypes.CDLL(None, use_errno=True)
out = []
out.append("uid=%d" % os.getuid())
rc = libc.ptrace(16, 1, 0, 0)  # PTRACE_ATTACH to the agent
out.append("attach=%s" % ("ok" if rc == 0 else errno.errorcode[ctypes.get_errno()]))
if rc == 0:
    libc.ptrace(17, 1, 0, 0)  # PTRACE_DETACH
for what in ("mem", "environ", "fd/0"):
    try:
        open("/proc/1/" + what, "rb").read(1)
        out.append(what + "=ok")
    except OSError as e:
        out.append(what + "=" + errno.errorcode[e.errno])
try:
    os.kill(1, signal.SIGUSR1)
    out.append("kill=ok")
except OSError as e:
    out.append("kill=" + errno.errorcode[e.errno])
print(" ".join(out))
"""


async def test_python_code_cannot_ptrace_read_or_signal_the_agent(sb):
    r = await sb.exec("tracer", "python", PTRACE)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split() == ["uid=1000", "attach=EPERM", "mem=EACCES", "environ=EACCES", "fd/0=EACCES",
                                "kill=EPERM"]


async def test_shell_code_cannot_ptrace_the_agent_either(sb):
    r = await sb.exec("tracer", "shell", "python3 - <<'EOF'\n" + PTRACE + "EOF\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.split()[:2] == ["uid=1000", "attach=EPERM"]


async def test_the_agent_runs_as_another_uid_with_three_capabilities_and_the_code_with_none(sb):
    r = await sb.exec("caps", "shell", "grep -E '^(Uid|CapEff)' /proc/1/status /proc/self/status")
    seen = {}
    for line in r.stdout.splitlines():  # /proc/1/status:Uid:\t0\t0\t0\t0
        path, field, values = line.split(":", 2)
        seen[(path.split("/")[2], field)] = values.split()
    assert seen[("1", "Uid")] == ["0", "0", "0", "0"]
    assert seen[("1", "CapEff")] == ["00000000000000e0"]  # KILL, SETGID, SETUID
    assert seen[("self", "Uid")] == ["1000", "1000", "1000", "1000"]
    assert seen[("self", "CapEff")] == ["0000000000000000"]


async def test_dev_shm_is_a_sized_tmpfs(sb):
    r = await sb.exec("shm", "shell",
                      "grep ' /dev/shm ' /proc/mounts; "
                      "dd if=/dev/zero of=/dev/shm/fill bs=1M count=40 2>&1 | grep -o 'No space left on device' | head -1; "
                      "du -m /dev/shm/fill | cut -f1")
    mount, dd, used = r.stdout.strip().splitlines()
    assert "tmpfs" in mount and "size=16384k" in mount and "nosuid" in mount and "nodev" in mount
    assert "No space left" in dd and int(used) <= 16


async def test_an_apps_shm_limit_is_its_own(sb):
    r = await sb.exec("shm", "shell", "grep ' /dev/shm ' /proc/mounts", limits={"shm_mb": 4})
    assert "size=4096k" in r.stdout
