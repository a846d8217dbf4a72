"""Fixtures for the performance tests: the embedded model's path, or a skip (a failure in CI)."""
from __future__ import annotations

import pytest

from drivers.llm import EngineError, default_model_path
from tests.conftest import require


@pytest.fixture(scope="session")
def model_path() -> str:
    try:
        import llama_cpp  # noqa: F401
        return default_model_path()
    except (ImportError, EngineError) as exc:
        require(False, f"the embedded model ({exc})")
        raise
