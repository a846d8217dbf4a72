"""App containers: the SDK in an engine-side volume filled by tar, and the environment that points the app at the
kernel channel.

Nothing of the host is mounted into an app container (the engine may run on another host): the ``syscalls``
SDK and what it imports are copied by tar, once per engine and SDK version, into a Docker volume
(``llmos-sdk-<hash>``, on the engine's host) that app containers mount read-only at ``/opt/llmos``; the kernel
is reached through the relay's socket (``sandbox/relay.py``, ``sandbox/tunnel.py``)."""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import sys
import tarfile
from pathlib import Path
from typing import Mapping

from .errors import SandboxError

SOCKET_IN = "/tmp/llmos.sock"  # the relay's socket in the container ($LLMOS_SOCKET)
SITE_IN = "/opt/llmos"  # the SDK volume, read-only
LABEL_SDK = "llmos.sdk"  # on SDK volumes: the hash of their content
DONE = ".complete"  # written last into a filled volume
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
    """A tar of the SDK packages for the volume's root: root-owned, directories 0755, files 0644, modification
    times kept (so the bytecode that comes along stays valid), the ``.complete`` marker last.  Made once per
    kernel process."""
    pkgs = package_paths()
    if "syscalls" not in pkgs:
        raise SandboxError("the syscalls package is not importable on the host", code="unavailable")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in pkgs.values():
            files = [path] if path.is_file() else [path, *sorted(path.rglob("*"))]
            for f in files:
                if f.is_symlink() or not _wanted(f):
                    continue
                name = f.relative_to(path.parent).as_posix()
                if f.is_dir():
                    tar.addfile(_info(name, tarfile.DIRTYPE, 0o755, f.stat().st_mtime))
                elif f.is_file():
                    data = f.read_bytes()
                    info = _info(name, tarfile.REGTYPE, 0o644, f.stat().st_mtime)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        done = _info(DONE, tarfile.REGTYPE, 0o644)
        tar.addfile(done, io.BytesIO(b""))
    return buf.getvalue()


def sdk_volume(api, image: str, labels: Mapping[str, str]) -> str:
    """The name of a volume on the engine holding the current SDK, filled now if it is not yet complete
    (through a container that is created, never started).  One volume per SDK content: kernels of several
    llmos versions on one engine each find their own."""
    import docker.errors
    from docker.types import Mount

    data = sdk_archive()
    digest = hashlib.sha256(data).hexdigest()[:16]
    name = f"llmos-sdk-{digest}"
    api.create_volume(name, labels={**labels, LABEL_SDK: digest})  # an existing one is returned as it is
    cfg = api.create_host_config(network_mode="none", read_only=True,
                                 mounts=[Mount(target="/sdk", source=name, type="volume")])
    helper = api.create_container(image, command=["true"], user="0:0", labels={**labels, "llmos.role": "sdk"},
                                  network_disabled=True, host_config=cfg)["Id"]
    try:
        try:
            for _ in api.get_archive(helper, f"/sdk/{DONE}")[0]:  # an empty file's tar: read to the end
                pass
        except docker.errors.NotFound:
            if not api.put_archive(helper, "/sdk", data):
                raise SandboxError("copying the SDK into its volume failed", code="io") from None
    finally:
        api.remove_container(helper, force=True)
    return name


def remove_sdk_volumes(api) -> int:
    """Remove every SDK volume no container uses (``reap --all``); kernels of any llmos version may share an
    engine, so a kernel never removes another's volume by itself."""
    import docker.errors

    n = 0
    for vol in (api.volumes(filters={"label": LABEL_SDK}) or {}).get("Volumes") or []:
        try:
            api.remove_volume(vol["Name"])
            n += 1
        except docker.errors.APIError:
            pass  # mounted by a running app
    return n


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
