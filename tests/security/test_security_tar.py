"""Files coming back: links, devices, fifos, escapes, setuid bits and oversize members are refused."""
from __future__ import annotations

import io
import tarfile

import pytest

from sandbox import SandboxError, check_archive, unpack_archive

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


async def test_links_fifos_and_setuid_made_inside_are_refused(sb):
    r = await sb.exec("tar", "shell",
                      "mkdir out; echo ok > out/good.txt; ln -s /etc/passwd out/link; "
                      "ln -s ../../../etc/shadow out/rel; echo data > out/a; ln out/a out/hard; "
                      "mkfifo out/fifo; echo s > out/suid; chmod 4755 out/suid; "
                      "echo g > out/sgid; chmod 2755 out/sgid",
                      collect=["out"])
    assert r.ok, r.stderr
    assert r.files_out.get("out/good.txt") == b"ok\n"
    refused = "\n".join(r.refused)
    for name, why in [("out/link", "symbolic link"), ("out/rel", "symbolic link"),
                      ("out/fifo", "fifo"), ("out/suid", "setuid"), ("out/sgid", "setuid")]:
        assert f"{name}:" in refused and why in refused, (name, refused)
    # one of the two hard-linked names comes back as a link member and is refused
    assert ("out/hard" in refused) or ("out/a:" in refused)
    for bad in ("out/link", "out/rel", "out/fifo", "out/suid", "out/sgid"):
        assert bad not in r.files_out


async def test_oversize_file_and_archive_are_refused(sb):
    r = await sb.exec("tar", "shell",
                      "head -c 3000000 /dev/zero > big; echo small > small",
                      collect=["big", "small"],
                      limits={"file_out_bytes": 1_000_000, "files_out_bytes": 2_000_000})
    assert r.files_out == {"small": b"small\n"}
    assert any(x.startswith("big:") for x in r.refused), r.refused


async def test_escaping_collect_paths_never_reach_the_engine(sb):
    r = await sb.exec("tar", "shell", "ln -s / rootlink", collect=["../etc", "/etc/passwd", "rootlink"])
    assert r.files_out == {}
    assert len(r.refused) == 3


def _tar(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _info(name, kind=tarfile.REGTYPE, size=0, mode=0o644, link=""):
    i = tarfile.TarInfo(name)
    i.type, i.size, i.mode, i.linkname = kind, size, mode, link
    return i


@pytest.mark.parametrize("name,kind,size,mode,link,why", [
    ("../evil", tarfile.REGTYPE, 1, 0o644, "", "climbs"),
    ("a/../../evil", tarfile.REGTYPE, 1, 0o644, "", "climbs"),
    ("/etc/cron.d/evil", tarfile.REGTYPE, 1, 0o644, "", "absolute"),
    ("link", tarfile.SYMTYPE, 0, 0o777, "/etc/passwd", "symbolic link"),
    ("hard", tarfile.LNKTYPE, 0, 0o644, "/etc/passwd", "hard link"),
    ("null", tarfile.CHRTYPE, 0, 0o666, "", "device"),
    ("sda", tarfile.BLKTYPE, 0, 0o660, "", "device"),
    ("pipe", tarfile.FIFOTYPE, 0, 0o644, "", "fifo"),
    ("suid", tarfile.REGTYPE, 1, 0o4755, "", "setuid"),
    ("sgid", tarfile.REGTYPE, 1, 0o2755, "", "setgid"),
    ("huge", tarfile.REGTYPE, 5000, 0o644, "", "over the limit"),
])
def test_crafted_archives_are_refused(name, kind, size, mode, link, why):
    data = b"x" * size if kind == tarfile.REGTYPE else None
    blob = _tar((_info("ok.txt", size=2), b"ok"), (_info(name, kind, size, mode, link), data))
    files, refused = unpack_archive(blob, file_max=1000, total_max=10_000)
    assert files == {"ok.txt": b"ok"}
    assert len(refused) == 1 and refused[0].startswith(name) and why in refused[0], refused
    with pytest.raises(SandboxError) as ei:
        check_archive((files, refused))
    assert ei.value.code == "invalid"


def test_total_size_bound_across_members():
    blob = _tar(*[(_info(f"f{i}", size=600), b"y" * 600) for i in range(3)])
    files, refused = unpack_archive(blob, file_max=1000, total_max=1000)
    assert list(files) == ["f0"]
    assert len(refused) == 2 and all("in total" in x for x in refused)


def test_prefix_cannot_be_used_to_escape():
    blob = _tar((_info("../../x", size=1), b"x"))
    files, refused = unpack_archive(blob, prefix="sub", file_max=10, total_max=10)
    assert files == {} and refused


def test_garbage_is_not_an_archive():
    files, refused = unpack_archive(b"\x00garbage" * 100, file_max=10, total_max=10)
    assert files == {} and refused
