"""Fixtures for the memory manager tests: a word counter standing in for the model's tokenizer."""
from __future__ import annotations

import os

import pytest
from memhelpers import words

os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.fixture
def count():
    return words


@pytest.fixture
def events():
    log: list[tuple[str, dict]] = []

    def on_event(kind, **fields):
        log.append((kind, fields))

    on_event.log = log
    return on_event


@pytest.fixture(scope="session")
def embedding():
    from drivers.vectors import OfflineEmbedding
    return OfflineEmbedding()


@pytest.fixture
def disk(tmp_path, embedding):
    """A real VectorStore (chromadb on disk, real embedding model) in a temp dir."""
    from drivers.vectors import VectorStore
    s = VectorStore(tmp_path / "disk", embedding=embedding)
    yield s
    s.close()
