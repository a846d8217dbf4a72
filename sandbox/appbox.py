"""App containers: the SDK copied in by tar and the environment that points the app at the kernel channel.

Nothing of the host is mounted into an app container (the engine may run on another host): the ``syscalls``
SDK and what it imports are copied into ``/work/.sdk`` (owned by root, read-only to the app), and the kernel
is reached through the relay's socket (``sandbox/relay.py``, ``sandbox/tunnel.py``)."""
from __future__ import annotations

import functools
import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from typing import Mapping

from . import recipe
from .errors import SandboxError

SOCKET_IN = "/tmp/llmos.sock"  # the relay's socket in the container ($LLMOS_SOCKET)
SDK_DIR = ".sdk"
SITE_IN = f"{recipe.WORKDIR}/{SDK_DIR}"
# What `import syscalls` needs inside.  msgspec is compiled: this works while the host's Python has
# the image's minor version (3.11); the host's cached bytecode of that version comes along.
APP_PACKAGES = ("syscalls", "msgspec", "anyio", "sniffio", "idna", "typing_extensions")
_PYC = f".{sys.implementation.cache_tag}.pyc"


def package_paths() -> dict[str, Path]:
    """name -> host path (package folder or module file) for each of APP_PACKAGES found."""
    found: dict[str, Path] = {}
    for name in APP_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            continue
        origin = Path(spec.origin)
        found[name] = origin.parent if spec.submodule_search_locations else origin
    return found


@functools.lru_cache(maxsize=1)
def sdk_archive() -> bytes:
    """A tar of the SDK packages for ``/work/.sdk``: root-owned, directories 0755, files 0644, modification
    times kept (so the bytecode that comes along stays valid).  Made once per kernel process."""
    pkgs = package_paths()
    if "syscalls" not in pkgs:
        raise SandboxError("the syscalls package is not importable on the host", code="unavailable")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_info(SDK_DIR, tarfile.DIRTYPE, 0o755))
        for path in pkgs.values():
            files = [path] if path.is_file() else [path, *sorted(path.rglob("*"))]
            for f in files:
                if f.is_symlink() or not _wanted(f):
                    continue
                name = f"{SDK_DIR}/{f.relative_to(path.parent).as_posix()}"
                if f.is_dir():
                    tar.addfile(_info(name, tarfile.DIRTYPE, 0o755, f.stat().st_mtime))
                elif f.is_file():
                    data = f.read_bytes()
                    info = _info(name, tarfile.REGTYPE, 0o644, f.stat().st_mtime)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _wanted(f: Path) -> bool:
    if f.parent.name == "__pycache__":
        return f.name.endswith(_PYC)
    return f.is_dir() or f.suffix in (".py", ".so", ".typed")


def _info(name: str, kind: bytes, mode: int, mtime: float = 0.0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def check_socket(socket_path: str) -> None:
    """The kernel's socket the app's channel leads to must exist on this host."""
    sock = Path(socket_path)
    if not sock.is_absolute() or not sock.is_socket():
        raise SandboxError(f"kernel socket {socket_path!r} does not exist (absolute path of a socket expected)",
                           code="invalid")


def environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """The app's environment: only what the kernel passes, plus where to find the kernel and the SDK."""
    out = {str(k): str(v) for k, v in (env or {}).items()}
    out.update({"LLMOS_SOCKET": SOCKET_IN, "PYTHONPATH": SITE_IN, "PYTHONNOUSERSITE": "1"})
    for k in out:
        if "\x00" in k or "=" in k or "\x00" in out[k]:
            raise SandboxError(f"bad environment variable {k!r}", code="invalid")
    return out
