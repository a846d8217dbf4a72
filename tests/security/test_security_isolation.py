"""Isolation attacks: network, host files, the Docker socket, the root filesystem, privileges, secrets."""
from __future__ import annotations

import os
import socket
import threading
import uuid

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def test_only_loopback_interface(sb):
    r = await sb.exec("net", "shell", "ls /sys/class/net")
    assert r.stdout.split() == ["lo"]


async def test_cannot_reach_a_server_on_the_hosts_loopback(sb):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]
    accepted = []

    def watch():
        for _ in range(60):
            try:
                accepted.append(srv.accept())
            except OSError:
                continue

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    code = ("import socket\n"
            "for host in ['127.0.0.1', 'host.docker.internal', '172.17.0.1', '10.0.2.2']:\n"
            "    try:\n"
            f"        socket.create_connection((host, {port}), timeout=2)\n"
            "        print('CONNECTED', host)\n"
            "    except OSError as e:\n"
            "        print('refused', host, type(e).__name__)\n")
    r = await sb.exec("net", "python", code)
    t.join()
    srv.close()
    assert r.ok, r.stderr
    assert "CONNECTED" not in r.stdout
    assert r.stdout.count("refused") == 4
    assert accepted == []


async def test_dns_lookup_fails(sb):
    r = await sb.exec("net", "python",
                      "import socket\ntry:\n    print(socket.getaddrinfo('deb.debian.org', 80))\n"
                      "except OSError as e:\n    print('nodns', type(e).__name__)")
    assert r.stdout.startswith("nodns"), r.stdout


async def test_host_files_are_not_visible(sb, tmp_path):
    token = uuid.uuid4().hex  # the content; the file name carries no secret
    marker = tmp_path / "llmos-marker"
    marker.write_text(token)
    os.chmod(tmp_path, 0o755)
    os.chmod(marker, 0o644)
    r = await sb.exec("snoop", "shell",
                      f"cat {marker} 2>&1; ls /tmp /root /home 2>&1; "
                      f"find / -xdev -name 'llmos-marker-*' 2>/dev/null; echo done")
    assert token not in r.stdout
    assert "No such file" in r.stdout
    assert r.stdout.rstrip().endswith("done")


async def test_docker_socket_is_not_reachable(sb):
    r = await sb.exec("snoop", "python",
                      "import socket, os\n"
                      "for p in ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock']:\n"
                      "    s = socket.socket(socket.AF_UNIX)\n"
                      "    try:\n        s.connect(p)\n        print('OPEN', p)\n"
                      "    except OSError as e:\n        print('no', p, e.errno)\n")
    assert "OPEN" not in r.stdout and r.stdout.count("no ") == 3


async def test_root_filesystem_is_read_only(sb):
    r = await sb.exec("writer", "shell",
                      "for p in /etc/evil /usr/bin/evil /evil /var/evil /opt/evil; do "
                      "touch $p 2>/dev/null && echo WROTE $p || echo denied $p; done; "
                      "echo ok > /work/fine && cat /work/fine; echo ok > /tmp/fine && cat /tmp/fine")
    assert "WROTE" not in r.stdout
    assert r.stdout.count("denied") == 5
    assert r.stdout.count("ok") == 2


async def test_no_privilege_escalation(sb):
    r = await sb.exec("climber", "shell",
                      "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status; "
                      "su -c id root </dev/null 2>&1 | head -1; echo su=$?; "
                      "command -v sudo || echo nosudo; "
                      "mount -t tmpfs none /tmp 2>&1 | head -1; "
                      "python3 -c 'import os; os.setuid(0)' 2>&1 | tail -1; "
                      "find / -xdev -perm /6000 -type f 2>/dev/null | head -3; echo end")
    out = r.stdout
    assert "CapEff:\t0000000000000000" in out
    assert "CapPrm:\t0000000000000000" in out
    assert "NoNewPrivs:\t1" in out
    assert "uid=0" not in out
    assert "nosudo" in out
    assert "PermissionError" in out
    lines = out.strip().splitlines()
    assert lines[-1] == "end" and not any(line.startswith("/") and "sudo" not in line
                                          for line in lines[-4:-1] if line.startswith("/usr"))


async def test_setuid_copy_gives_nothing(sb):
    r = await sb.exec("climber", "shell",
                      "cp /usr/bin/python3 /work/p && chmod u+s /work/p; "
                      "/work/p -c 'import os; print(os.geteuid())'")
    assert r.stdout.strip() == "1000"


async def test_kernel_environment_secrets_are_not_visible(sb, monkeypatch):
    secret = "s3cr3t-" + uuid.uuid4().hex
    monkeypatch.setenv("LLMOS_TEST_SECRET", secret)
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    r = await sb.exec("spy", "shell", "env; cat /proc/1/environ | tr '\\0' '\\n'")
    assert secret not in r.stdout
    assert "LLMOS_TEST_SECRET" not in r.stdout and "OPENAI_API_KEY" not in r.stdout


async def test_kernel_process_is_not_visible(sb):
    r = await sb.exec("spy", "shell", "ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '")
    count, cmd = r.stdout.splitlines()[:2]
    assert int(count) < 20  # only the sandbox's own processes
    assert cmd.split()[:3] == ["python3", "-I", "-c"]  # PID 1 is the sandbox's own agent
