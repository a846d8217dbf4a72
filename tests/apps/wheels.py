"""Build small wheels in a test, offline: a wheel is a zip with a dist-info folder."""
from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(out: Path, name: str, version: str, files: dict[str, str], *, requires: list[str] = (),
                entry_points: dict[str, str] | None = None) -> Path:
    """Write ``out/<name>-<version>-py3-none-any.whl`` holding ``files`` (path -> text)."""
    dist = f"{name}-{version}.dist-info"
    meta = {
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}".format(
            name, version, "".join(f"Requires-Dist: {r}\n" for r in requires)),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: llmos-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    if entry_points:
        meta[f"{dist}/entry_points.txt"] = "[llmos.apps]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items())
    everything = {**files, **meta}
    record = "".join(f"{p},{_hash(t.encode())},{len(t.encode())}\n" for p, t in everything.items())
    record += f"{dist}/RECORD,,\n"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, t in everything.items():
            z.writestr(p, t)
        z.writestr(f"{dist}/RECORD", record)
    return path
