"""Start and stop ``python -m llama_cpp.server`` with the embedded model on a free loopback port, for tests
against a real OpenAI-compatible server."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """One server; ``log`` holds its output (uvicorn's access lines name every request)."""

    def __init__(self, model_path: str, log: Path, *, n_ctx: int = 2048, threads: int = 1, ready_s: float = 90):
        self.port, self.log = free_port(), log
        self._out = open(log, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--host", "127.0.0.1",
             "--port", str(self.port), "--n_ctx", str(n_ctx), "--n_threads", str(threads),
             "--n_threads_batch", str(threads), "--verbose", "False"],
            stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + ready_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {self.output()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"llama_cpp.server did not become ready in {ready_s:g} s")
            time.sleep(0.3)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def chats(self) -> int:
        """Chat requests this server has answered (its access log's lines)."""
        return self.output().count('"POST /v1/chat/completions HTTP/1.1"')

    def kill(self) -> None:
        """SIGKILL: the server dies mid-whatever, as a crashed machine would."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()
