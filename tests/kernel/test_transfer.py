"""kernel/syscall/transfer.py: a person's copies into and out of a workspace stay inside it and inside the app's scope."""
from __future__ import annotations

import pytest

from apps.manifest import Permissions
from drivers.files import Workspace
from kernel.syscall import transfer
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied

ALL = Permissions(files=["**"])


def test_put_and_get_round_trip_bytes(tmp_path):
    ws = Workspace(tmp_path / "ws").create()
    data = bytes(range(256)) * 3
    assert transfer.put(ws, "a", ALL, "deep/er/blob.bin", data) == len(data)
    assert transfer.get(ws, "a", ALL, "deep/er/blob.bin") == data


@pytest.mark.parametrize("path,error,words", [
    ("../out.txt", PermissionDenied, "leaves the workspace"),
    ("/etc/passwd", PermissionDenied, "outside the workspace"),
    ("link/x.txt", PermissionDenied, "outside the workspace"),
    (".", InvalidArgument, "name a file"),
])
def test_put_refuses_paths_that_leave_the_workspace(tmp_path, path, error, words):
    ws = Workspace(tmp_path / "ws").create()
    (ws.root / "link").symlink_to(tmp_path)
    with pytest.raises(error, match=words):
        transfer.put(ws, "a", ALL, path, b"x")
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "x.txt").exists()


def test_scope_size_and_missing_files(tmp_path):
    ws = Workspace(tmp_path / "ws").create()
    narrow = Permissions(files=["in/*.txt"])
    with pytest.raises(PermissionDenied, match=r"app 'a' is not granted files matching 'in/x.csv'.*in/\*\.txt"):
        transfer.put(ws, "a", narrow, "in/x.csv", b"x")
    with pytest.raises(InvalidArgument, match="over the"):
        transfer.put(ws, "a", ALL, "big.bin", b"x" * (transfer.MAX_COPY + 1))
    with pytest.raises(NotFound, match="no file 'nope.txt'"):
        transfer.get(ws, "a", ALL, "nope.txt")
    (ws.root / "dir").mkdir()
    with pytest.raises(NotFound, match="it is a folder"):
        transfer.get(ws, "a", ALL, "dir")
