"""Workspace confinement: paths that escape by '..', absolute paths or symlinks are refused."""
import os
import sys
import time

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


FLIPPER = """
import ctypes, os, sys
d, link, outside = (os.fsencode(a) for a in sys.argv[1:])
os.symlink(outside, link)
libc = ctypes.CDLL(None, use_errno=True)
while True:  # swap the folder and the link atomically (renameat2 RENAME_EXCHANGE): d is always one of them
    libc.renameat2(-100, d, -100, link, 2)
"""


def test_racing_a_folder_against_a_link_never_escapes(ws, tmp_path):
    """Another process swaps the folder ``d`` for a link out of the workspace and back as fast
    as it can, while writes and reads go through ``d``: none may land or read outside."""
    import subprocess
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "f").write_text("secret")
    (ws.root / "d").mkdir()
    (ws.root / "d" / "f").write_text("inside")
    flipper = subprocess.Popen([sys.executable, "-c", FLIPPER, str(ws.root / "d"), str(ws.root / "d-link"),
                                str(outside)])
    tries, leaked = 0, []
    deadline = time.monotonic() + 4.0
    try:
        for i in range(4000):
            if time.monotonic() > deadline:
                break
            tries += 1
            for op in (lambda i=i: ws.write(f"d/w{i}", "x"), lambda: ws.write("d/f", "inside"),
                       lambda i=i: ws.write(f"d/a{i % 7}", "y", append=True), lambda: ws.read("d/f")):
                try:
                    if op() == "secret":
                        leaked.append(i)
                except DriverError:
                    pass
    finally:
        flipper.kill()
        flipper.wait()
    escaped = sorted(p.name for p in outside.iterdir() if p.name != "f")
    assert escaped == [] and leaked == []
    assert tries >= 100  # the race really ran
    assert (outside / "f").read_text() == "secret"


def test_links_inside_are_not_followed_and_writes_replace_them(ws, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t").write_text("keep")
    os.symlink(outside / "t", ws.root / "l")
    with pytest.raises(DriverError):
        ws.read("l")
    ws.write("l", "new")  # the link itself is replaced by a file; its target is untouched
    assert (outside / "t").read_text() == "keep" and ws.read("l") == "new"
    assert [e["path"] for e in ws.list(".")] == ["l"]
