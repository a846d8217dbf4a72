"""Fixtures for the LLM driver tests: the real embedded model, one engine per module, a loopback server."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import anyio
import httpx
import pytest

from drivers.llm import EngineError, LlamaEngine, default_model_path


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


def _model_or_skip() -> str:
    try:
        import llama_cpp  # noqa: F401
        return default_model_path()
    except (ImportError, EngineError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the embedded model must be available in CI: {exc}")
        pytest.skip(f"embedded model unavailable: {exc}")


@pytest.fixture(scope="session")
def model_path() -> str:
    return _model_or_skip()


@pytest.fixture(scope="module")
def llama(model_path):
    """One started LlamaEngine (4 slots, 1024 tokens each) shared by a test module."""
    eng = LlamaEngine(model_path, n_slots=4, n_ctx=4096)
    anyio.run(eng.start)  # the engine is bound to no event loop: each submit captures its caller's
    yield eng
    anyio.run(eng.close)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(model_path, tmp_path_factory):
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("llama-server") / "server.log", "w+b")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", model_path, "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--n_threads", "2", "--verbose", "False"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"llama_cpp.server exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not become ready in 90 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
