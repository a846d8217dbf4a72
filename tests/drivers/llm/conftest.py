"""Fixtures for the LLM driver tests: the real embedded model, one engine per module, a loopback server."""
from __future__ import annotations

import os

import anyio
import pytest

from drivers.llm import EngineError, LlamaEngine, default_model_path
from tests.llamaserver import LlamaServer


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


@pytest.fixture(scope="module")
def llama_server(model_path, tmp_path_factory):
    """``python -m llama_cpp.server`` on a free loopback port; yields its base URL."""
    try:
        srv = LlamaServer(model_path, tmp_path_factory.mktemp("llama-server") / "server.log", threads=2)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield srv.url
    srv.stop()
