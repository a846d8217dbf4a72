"""Fixtures for the vector driver tests: real chromadb in temp dirs, tmpfs mounts for I/O failures."""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest

os.environ["ANONYMIZED_TELEMETRY"] = "False"


@pytest.fixture(scope="session")
def embedding():
    from drivers.vectors import OfflineEmbedding
    return OfflineEmbedding()


@pytest.fixture
def store(tmp_path, embedding):
    from drivers.vectors import VectorStore
    s = VectorStore(tmp_path / "store", embedding=embedding)
    yield s
    s.close()


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (root only); yields a function ``mount(size, ro=False) -> path``."""
    mounted = []

    def mount(size: str, ro: bool = False):
        where = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
        where.mkdir()
        opts = f"size={size}" + (",ro" if ro else "")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
