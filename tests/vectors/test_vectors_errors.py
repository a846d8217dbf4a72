"""An unwritable or full store fails as DriverError(code="io"), never with a raw chromadb error."""
from __future__ import annotations

import os

import pytest

from drivers.errors import DriverError
from drivers.vectors import Item, VectorStore


def test_path_below_a_file_is_io(tmp_path, embedding):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(DriverError) as info:
        VectorStore(blocker / "store", embedding=embedding)
    assert info.value.code == "io"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits; the tmpfs test covers root")
def test_read_only_directory_is_io(tmp_path, embedding):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    with pytest.raises(DriverError) as info:
        VectorStore(ro / "store", embedding=embedding)
    assert info.value.code == "io"


def test_read_only_filesystem_is_io(tmpfs, embedding):
    where = tmpfs("1m", ro=True)
    with pytest.raises(DriverError) as info:
        VectorStore(where / "store", embedding=embedding)
    assert info.value.code == "io"


def test_full_disk_is_io(tmpfs, embedding):
    where = tmpfs("400k")
    s = VectorStore(where / "store", embedding=embedding)
    text = "a fairly long sentence that fills the disk quickly " * 20
    with pytest.raises(DriverError) as info:
        for n in range(200):
            s.add("proc:k:1", [Item(f"{n}-{i}", text) for i in range(50)],
                  embeddings=[[float(i + 1)] + [0.0] * 383 for i in range(50)])
    assert info.value.code == "io"
    # chromadb is not called again: a later call could block for good holding the GIL
    for call in (lambda: s.count("proc:k:1"), lambda: s.query("proc:k:1", "long sentence")):
        with pytest.raises(DriverError, match="stays closed until the kernel restarts") as again:
            call()
        assert again.value.code == "io"
    s.close()


def test_invalid_names_are_invalid(store):
    for bad in ("", "x" * 201, "tab\there"):
        with pytest.raises(DriverError) as info:
            store.collection(bad)
        assert info.value.code == "invalid"
