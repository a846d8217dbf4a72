"""How a process-isolated app is launched: its own unprivileged uid, in namespaces that leave it the syscall socket only.

The kernel runs ``unshare`` (util-linux) with fresh mount, PID, network, IPC and UTS
namespaces and ``sandbox/jail.py`` inside, which builds a read-only root that holds the
interpreter, the ``syscalls`` SDK and the app's folder, and nothing of the host; then it drops
to :func:`app_uid` and execs the app (docs/security.md, "Isolated apps").  A kernel that is
not root gets a user namespace as well and keeps its own (already unprivileged) uid.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from sandbox import jail as _jail
from sandbox.appbox import package_paths
from syscalls.errors import Unavailable

UID_BASE = 200_000  # app uids: UID_BASE + pid % UID_SPAN, outside the range of ordinary accounts
UID_SPAN = 800_000
SDK_IN = "/opt/llmos"
MAIN_IN = "/opt/llmos-main/appmain.py"
APP_IN = "/app"
WORK_IN = "/work"
TMPFS_MB = 16  # size of the jail's private /tmp and /work
SYSTEM = ("/usr/lib", "/usr/lib64", "/lib", "/lib64")  # shared libraries the interpreter links
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")


def app_uid(pid: int) -> int:
    """The uid a process-isolated app runs as: its own, never 0, never the kernel's."""
    return UID_BASE + pid % UID_SPAN


def peer_uid(pid: int) -> int | None:
    """The uid the jailed app's socket must belong to: :func:`app_uid` when the kernel is root
    (and so drops the app to it), else None (the app keeps the kernel's uid in a user namespace)."""
    return app_uid(pid) if os.geteuid() == 0 else None


def _system() -> tuple[list[list[Any]], list[list[str]]]:
    binds, links = [], []
    for path in SYSTEM:
        if os.path.islink(path):
            links.append([path, os.readlink(path)])
        elif os.path.isdir(path):
            binds.append([path, path, True])
    return binds, links


def command(pid: int, app_dir: str, socket_path: str, env: dict[str, str], main: str
            ) -> tuple[list[str], dict[str, str], str]:
    """(argv, environment, jail root folder) that run ``main`` (the app bootstrap) jailed.
    The caller removes the root folder (empty on the host) when the app has ended."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise Unavailable("process isolation needs `unshare` (util-linux), and it is not installed; "
                          "install it, or give the kernel a Docker engine for containers")
    python = os.path.realpath(sys.executable)
    prefix = os.path.realpath(sys.base_prefix)
    binds, links = _system()
    binds.append([prefix, prefix, True])
    if not python.startswith(prefix + os.sep):
        binds.append([python, python, True])
    binds += [[str(path), f"{SDK_IN}/{path.name}", True] for path in package_paths().values()]
    binds += [[main, MAIN_IN, True], [str(Path(app_dir).resolve()), APP_IN, True],
              [socket_path, socket_path, False]]  # the socket alone: its folder stays the kernel's (0700)
    binds += [[d, d, False] for d in DEVICES if os.path.exists(d)]
    root = tempfile.mkdtemp(prefix=f"llmos-jail-{pid}-")
    root_uid = os.geteuid() == 0
    inner_env = {**env, "PYTHONPATH": SDK_IN, "PYTHONNOUSERSITE": "1",
                 "LLMOS_APP_DIR": APP_IN, "HOME": WORK_IN, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
                 "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    spec = {"root": root, "binds": binds, "links": links, "tmpfs": [["/tmp", TMPFS_MB], [WORK_IN, TMPFS_MB]],
            "uid": app_uid(pid) if root_uid else None, "cwd": WORK_IN,
            "argv": [python, "-P", "-s", MAIN_IN], "env": inner_env}
    flags = ["--mount", "--pid", "--fork", "--net", "--ipc", "--uts", "--kill-child"]
    if not root_uid:
        flags = ["--user", "--map-root-user", *flags]
    argv = [unshare, *flags, "--", python, "-I", "-S", _jail.__file__, json.dumps(spec)]
    return argv, {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, root
