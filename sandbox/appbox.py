"""App containers: the mounts and environment that let untrusted app code reach only the syscall socket."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Mapping

from .errors import SandboxError

SOCKET_IN = "/run/llmos.sock"
SITE_IN = "/opt/llmos"
# What `import syscalls` needs inside, mounted read-only from the host's environment.
# msgspec is compiled: this works while the host Python has the image's minor version (3.11).
APP_PACKAGES = ("syscalls", "msgspec", "anyio", "sniffio", "idna", "typing_extensions")


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


def mounts(socket_path: str) -> list[str]:
    """Docker bind specs: the syscall socket (read-write) and the SDK packages (read-only)."""
    sock = Path(socket_path)
    if not sock.is_absolute() or not sock.exists():
        raise SandboxError(f"syscall socket {socket_path!r} does not exist (absolute path expected)",
                           code="invalid")
    if "syscalls" not in (pkgs := package_paths()):
        raise SandboxError("the syscalls package is not importable on the host", code="unavailable")
    binds = [f"{sock}:{SOCKET_IN}:rw"]
    for path in pkgs.values():
        binds.append(f"{path}:{SITE_IN}/{path.name}:ro")
    return binds


def environment(env: Mapping[str, str] | None) -> dict[str, str]:
    """The app's environment: only what the kernel passes, plus where to find the kernel."""
    out = {str(k): str(v) for k, v in (env or {}).items()}
    out.update({"LLMOS_SOCKET": SOCKET_IN, "PYTHONPATH": SITE_IN, "PYTHONNOUSERSITE": "1"})
    for k in out:
        if "\x00" in k or "=" in k or "\x00" in out[k]:
            raise SandboxError(f"bad environment variable {k!r}", code="invalid")
    return out


