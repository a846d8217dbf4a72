"""Workspace confinement: paths that escape by '..', absolute paths or symlinks are refused."""
import os

import pytest

from drivers.errors import DriverError
from drivers.files import Workspace


@pytest.fixture
def ws(tmp_path):
    return Workspace(tmp_path / "ws").create()


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "~/x", "a/\x00b", "..", "sub/../../../etc"])
def test_escapes_are_refused(ws, path):
    with pytest.raises(DriverError) as e:
        ws.write(path, "x")
    assert e.value.code in ("denied", "invalid")


def test_symlink_out_is_refused(ws, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("s")
    os.symlink(outside, ws.root / "link")
    with pytest.raises(DriverError, match="outside"):
        ws.read("link/secret")
    with pytest.raises(DriverError):
        ws.write("link/new", "x")
    assert not (outside / "new").exists()


def test_round_trip_list_stat_delete(ws):
    ws.write("notes/a.txt", "hello")
    ws.write("notes/a.txt", " world", append=True)
    assert ws.read("notes/a.txt") == "hello world"
    assert [e["path"] for e in ws.list("notes")] == ["notes/a.txt"]
    assert ws.stat("notes/a.txt")["size"] == 11
    ws.delete("notes/a.txt")
    with pytest.raises(DriverError) as e:
        ws.read("notes/a.txt")
    assert e.value.code == "not_found"
    with pytest.raises(DriverError):
        ws.delete(".")


def test_size_limit(tmp_path):
    ws = Workspace(tmp_path / "small", max_file=10).create()
    with pytest.raises(DriverError, match="exceed"):
        ws.write("big", "x" * 11)
