"""The kernel API over TCP against a real daemon on a real loopback port: `llmos --kernel HOST:PORT` from
another llmos home (nothing shared but the token), wrong and missing tokens, TLS, unreachable addresses."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from .harness import ROOT, SCRIPT, Home, wait_dead

ONE_LINE = re.compile(r"^llmos: [^\n]+\n$")


class Far:
    """A client on "another machine": its own empty llmos home, the kernel's token copied to a file."""

    def __init__(self, address: str, token: Path | None, **env: str):
        self.address = address
        self.path = Path(tempfile.mkdtemp(prefix="llmos-far-"))
        self.token = self.path / "token"
        if token is not None:
            shutil.copy(token, self.token)
            self.token.chmod(0o600)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LLMOS_")}
        self.env.update({"LLMOS_HOME": str(self.path / "home"), "PYTHONPATH": str(ROOT), **env})

    def llmos(self, *args: str, token: bool = True, kernel: str | None = None, timeout: float = 120,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        flags = ["--kernel", kernel or self.address] + (["--token-file", str(self.token)] if token else [])
        return subprocess.run([sys.executable, "-m", "llmos", *flags, *args], env=env or self.env, capture_output=True,
                              text=True, timeout=timeout, cwd=str(ROOT))

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "llmos", "--kernel", self.address, "--token-file", str(self.token), *args]


def boot_listening(home: Home, *flags: str) -> str:
    slower = {**SCRIPT, "rules": [{"when": "slow", "reply": json.dumps({"tool": "answer", "answer": "slow " * 1200})}]}
    (home.path / "script.json").write_text(json.dumps(slower))  # ~60 s: a CLI's start on a busy machine is slow
    r = home.llmos("boot", "--listen", "127.0.0.1:0", *flags)
    assert r.returncode == 0, r.stderr + (home.path / "logs" / "daemon.out").read_text()
    address = (home.path / "kernel.listen").read_text().split()[0]
    assert address in r.stdout and "token" in r.stdout
    return address


@pytest.fixture
def listening(home):
    return home, boot_listening(home)


@pytest.fixture
def far(listening):
    home, address = listening
    f = Far(address, home.path / "kernel.token")
    yield f
    shutil.rmtree(f.path, ignore_errors=True)


def test_ps_run_kill_wait_logs_over_tcp_from_another_home(listening, far):
    home, _ = listening
    assert stat.S_IMODE(os.stat(home.path / "kernel.token").st_mode) == 0o600
    r = far.llmos("run", "assistant", "hello", "over", "tcp")
    assert r.returncode == 0 and r.stdout.strip() == "you said: hello over tcp", r.stderr
    pid = far.llmos("run", "--detach", "assistant", "slow", "work").stdout.strip()
    assert pid.isdigit()
    ps = far.llmos("ps")
    assert ps.returncode == 0 and any(line.split()[0] == pid for line in ps.stdout.splitlines()[1:]), ps.stdout
    assert far.llmos("kill", "-KILL", pid).returncode == 0
    w = far.llmos("wait", pid)
    assert w.returncode == 137 and "killed" in w.stderr
    follow = far.llmos("logs", "-f", pid, timeout=30)
    assert "proc.spawn" in follow.stdout and "proc.exit" in follow.stdout
    st = far.llmos("status")
    assert st.returncode == 0 and f"pid {home.daemon_pid()}" in st.stdout
    assert f"tcp: {far.address} (no TLS" in home.llmos("status").stdout
    again = home.llmos("boot", "--listen", "127.0.0.1:7")  # a running kernel keeps its listener, and says so
    assert again.returncode == 1 and f"listens on {far.address}; --listen 127.0.0.1:7 is ignored" in again.stderr
    assert "assistant" in far.llmos("apps").stdout
    assert not (far.path / "home" / "kernel.sock").exists()  # nothing was booted on the client's side


def test_approve_over_tcp(home, tmp_path):
    from tests.person.apps import install
    install(home, tmp_path / "apps", "deleter")
    address = boot_listening(home)
    far = Far(address, home.path / "kernel.token")
    run = subprocess.Popen(far.argv("run", "deleter", "a.txt"), env=far.env, cwd=str(ROOT), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = run.stderr.readline()
        m = re.search(r"waiting for you: \[(\w+)\] pid \d+ wants fs\.delete", line)
        assert m, line
        assert m.group(1) in far.llmos("approvals").stdout
        r = far.llmos("approve", m.group(1))
        assert r.returncode == 0, r.stderr
        out, _ = run.communicate(timeout=30)
    finally:
        run.kill()
        shutil.rmtree(far.path, ignore_errors=True)
    assert out.strip() == "a.txt:deleted" and run.returncode == 0


def test_wrong_and_missing_token_are_refused_in_one_line_and_logged_without_the_token(listening, far):
    home, _ = listening
    wrong = "not-the-token-0123456789abcdef"
    bad = far.llmos("ps", token=False, env={**far.env, "LLMOS_KERNEL_TOKEN": wrong})
    assert bad.returncode == 1 and ONE_LINE.match(bad.stderr) and "wrong token" in bad.stderr, bad.stderr
    assert bad.stdout == ""
    missing = far.llmos("ps", token=False)  # no token anywhere on this side
    assert missing.returncode == 1 and ONE_LINE.match(missing.stderr) and "needs its token" in missing.stderr
    # a client that sends no token at all (a raw frame): told so, then hung up on; nothing else is served
    host, port = far.address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"\x00\x00\x00\x0f" + b'{"op":"ps"}    ')
        reply = s.recv(4096)
        assert b'"unauthorized"' in reply and b"missing token" in reply and b'"ok"' not in reply
        assert s.recv(4096) == b""
    time.sleep(0.3)
    logs = (home.path / "logs" / "kernel.jsonl").read_text() + (home.path / "logs" / "daemon.out").read_text()
    assert '"reason":"wrong token"' in logs and "api.remote_refused" in logs
    real = (home.path / "kernel.token").read_text().strip()
    assert wrong not in logs and real not in logs
    cmdline = Path(f"/proc/{home.daemon_pid()}/cmdline").read_bytes()
    assert real.encode() not in cmdline


def test_commands_that_need_the_local_socket_say_so(far, tmp_path):
    for args in (["exec", "--", "true"], ["install", str(tmp_path)], ["boot"], ["shell"]):
        r = far.llmos(*args)
        assert r.returncode == 2 and ONE_LINE.match(r.stderr) and "local socket" in r.stderr, (args, r.stderr)
    show = far.llmos("apps", "show", "assistant")
    assert show.returncode == 1 and ONE_LINE.match(show.stderr)
    (tmp_path / "in.txt").write_text("carried over the wire")  # files cross as their content, not a path
    pid = far.llmos("run", "--detach", "--file", f"{tmp_path / 'in.txt'}:notes.txt", "assistant", "slow").stdout.strip()
    assert pid.isdigit()
    (tmp_path / "more.txt").write_text("and a second one")
    r = far.llmos("cp", str(tmp_path / "more.txt"), f"{pid}:more.txt")
    assert r.returncode == 0, r.stderr
    assert far.llmos("cp", f"{pid}:notes.txt", "-").stdout == "carried over the wire"
    assert far.llmos("cp", f"{pid}:more.txt", "-").stdout == "and a second one"
    far.llmos("kill", "-KILL", pid)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


def test_tls_round_trip_and_an_untrusting_client_is_refused(home, tmp_path):
    cert, key = _self_signed(tmp_path)
    address = boot_listening(home, "--tls-cert", str(cert), "--tls-key", str(key))
    assert (home.path / "kernel.listen").read_text().split()[1] == "tls"
    far = Far(address, home.path / "kernel.token")
    try:
        ok = far.llmos("--tls-ca", str(cert), "run", "assistant", "sealed")  # a CA means TLS
        assert ok.returncode == 0 and ok.stdout.strip() == "you said: sealed", ok.stderr
        ok = far.llmos("ps", kernel=f"tls://{address}", env={**far.env, "LLMOS_KERNEL_CA": str(cert)})
        assert ok.returncode == 0 and "sealed" in ok.stdout, ok.stderr
        untrusting = far.llmos("ps", kernel=f"tls://{address}")  # the system store does not know this cert
        assert untrusting.returncode == 1 and ONE_LINE.match(untrusting.stderr), untrusting.stderr
        assert "does not trust" in untrusting.stderr
        plain = far.llmos("ps")  # no TLS against a TLS listener
        assert plain.returncode == 1 and ONE_LINE.match(plain.stderr) and "tls://" in plain.stderr, plain.stderr
    finally:
        shutil.rmtree(far.path, ignore_errors=True)
    assert home.llmos("ps").returncode == 0  # the local socket serves on, with no token


def test_unreachable_addresses_give_one_line_within_the_timeout(tmp_path):
    token = tmp_path / "token"
    token.write_text("x" * 32)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: refused
    far = Far(f"127.0.0.1:{port}", token, LLMOS_KERNEL_TIMEOUT="2")
    silent = socket.socket()  # accepts (the backlog does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        r = far.llmos("ps")
        assert r.returncode == 1 and ONE_LINE.match(r.stderr), r.stderr
        assert f"cannot reach the kernel API at 127.0.0.1:{port}: connection refused" in r.stderr
        for kernel in (f"127.0.0.1:{silent.getsockname()[1]}", f"tls://127.0.0.1:{silent.getsockname()[1]}"):
            t0 = time.monotonic()
            r = far.llmos("ps", kernel=kernel)
            assert time.monotonic() - t0 < 15
            assert r.returncode == 1 and ONE_LINE.match(r.stderr), r.stderr
            assert f"the kernel API at {kernel} did not answer within 2 s" in r.stderr
        unknown = far.llmos("ps", kernel="nohost.invalid:7070")  # a name that does not resolve (or not in time)
        assert unknown.returncode == 1 and ONE_LINE.match(unknown.stderr), unknown.stderr
        assert "kernel API at nohost.invalid:7070" in unknown.stderr and "error" not in unknown.stderr.lower()
        bad = far.llmos("ps", kernel="nowhere")
        assert bad.returncode == 2 and ONE_LINE.match(bad.stderr) and "HOST:PORT" in bad.stderr
    finally:
        silent.close()
        shutil.rmtree(far.path, ignore_errors=True)


def test_a_taken_port_or_a_readable_token_file_stops_the_boot_in_one_line(home):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        r = home.llmos("boot", "--listen", f"127.0.0.1:{taken.getsockname()[1]}")
        assert r.returncode == 1 and "cannot listen on 127.0.0.1" in r.stderr and "in use" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    finally:
        taken.close()
    token = home.path / "kernel.token"
    token.write_text("y" * 40)
    token.chmod(0o644)
    r = home.llmos("boot", "--listen", "127.0.0.1:0")
    assert r.returncode == 1 and "may be read by others" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert home.daemon_pid() is None


def test_the_listener_from_the_config_file_with_a_token_from_the_environment(home):
    (home.path / "llmos.toml").write_text('[kernel]\nlisten = "127.0.0.1:0"\n')
    secret = "from-the-environment-" + "z" * 20
    home.env["LLMOS_KERNEL_TOKEN"] = secret
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    assert "$LLMOS_KERNEL_TOKEN" in r.stdout and secret not in r.stdout
    address = (home.path / "kernel.listen").read_text().split()[0]
    assert not (home.path / "kernel.token").exists()  # the environment's token is the one
    far = Far(address, None, LLMOS_KERNEL_TOKEN=secret)
    try:
        ps = far.llmos("ps", token=False)
        assert ps.returncode == 0, ps.stderr
        assert secret.encode() not in Path(f"/proc/{home.daemon_pid()}/cmdline").read_bytes()
        logs = (home.path / "logs" / "kernel.jsonl").read_text() + (home.path / "logs" / "daemon.out").read_text()
        assert secret not in logs
        pid = home.daemon_pid()
        h = far.llmos("halt", token=False)  # the kill switch works from afar too
        assert h.returncode == 0 and "halted" in h.stdout, h.stderr
        assert wait_dead(pid) and not (home.path / "kernel.listen").exists()
    finally:
        shutil.rmtree(far.path, ignore_errors=True)
