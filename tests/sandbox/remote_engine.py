"""A Docker engine reached over loopback TCP for the remote-engine tests: a second dockerd with its own data,
exec root and containerd (so nothing of the first engine's images or containers is there), the sandbox image
loaded into it by llmos's own copy; or, where no second dockerd can run here (not root, no dockerd binary),
a TCP forwarder to this machine's engine socket."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import docker
import docker.errors

from sandbox.image import copy_image

LOCAL_SOCKET = "/var/run/docker.sock"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ping(url: str, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c = docker.APIClient(base_url=url, version="1.24", timeout=2)
            try:
                c.ping()
                return True
            finally:
                c.close()
        except Exception:
            time.sleep(0.2)
    return False


class SecondDockerd:
    """``dockerd -H tcp://127.0.0.1:PORT`` with its own folders, no bridge, no iptables; stopped by ``stop``."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="llmos-d2-"))  # short: containerd's socket lives under it
        self.url = f"tcp://127.0.0.1:{free_port()}"
        self.log = open(self.dir / "dockerd.log", "wb")
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", str(self.dir / "root"), "--exec-root", str(self.dir / "exec"),
             "--pidfile", str(self.dir / "dockerd.pid"), "-H", self.url, "--bridge=none", "--iptables=false",
             "--ip-forward=false", "--ip-masq=false"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if not _wait_ping(self.url, 60):
            tail = (self.dir / "dockerd.log").read_text(errors="replace")[-600:]
            self.stop()
            raise RuntimeError(f"the second dockerd did not start: {tail}")
        copy_image(self.url)  # what a person does for an engine on another host

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Forwarder:
    """127.0.0.1:PORT -> this machine's engine socket, a thread per direction of each connection."""

    def __init__(self, target: str = LOCAL_SOCKET) -> None:
        self.target = target
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.url = f"tcp://127.0.0.1:{self.srv.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX)
            up.connect(self.target)
            for a, b in ((conn, up), (up, conn)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def stop(self) -> None:
        self.srv.close()


def start() -> SecondDockerd | Forwarder:
    """The best TCP engine this machine allows (see the module's docstring)."""
    if os.geteuid() == 0 and shutil.which("dockerd"):
        return SecondDockerd()
    return Forwarder()
