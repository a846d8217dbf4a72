"""Builds a process-isolated app's jail and execs the app in it (started by ``unshare``, never imported by the kernel).

``python3 jail.py SPEC_JSON`` runs as root inside fresh mount, PID, network, IPC and UTS
namespaces (``unshare --mount --pid --fork --net --ipc --uts``).  It mounts an empty tmpfs
as the new root, binds in read-only only what Python and the app need (the interpreter,
the system libraries, the ``syscalls`` SDK, the app's folder, a few device nodes) and the
folder of the app's syscall socket, gives it a private ``/proc``, ``/tmp`` and ``/work``,
makes the root read-only, drops to the app's own unprivileged uid with no groups and
``no_new_privs``, and execs the app.  The host's files (``/etc``, ``/root``, the llmos home,
the workspaces, ``/tmp``) are simply not there, and the network namespace is empty.

SPEC_JSON: {"root": host dir to mount on, "binds": [[host, inside, read_only]], "links":
[[inside, target]], "tmpfs": [[inside, size_mb]], "uid": int or null, "cwd": inside dir,
"argv": [...], "env": {...}}.  ``uid`` null means the caller is already unprivileged (a user
namespace maps it to root here) and keeps its uid.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    if _libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _place(root: str, inside: str, is_dir: bool) -> str:
    target = root + inside
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if is_dir:
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "wb").close()
    return target


def build(spec: dict) -> None:
    root = spec["root"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the host
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    uid = spec["uid"]  # first, so binds below them (the socket's folder) are not hidden
    for inside, size_mb in spec["tmpfs"]:
        owner = f",uid={uid},gid={uid}" if uid is not None else ""
        mount("tmpfs", _place(root, inside, True), "tmpfs", MS_NOSUID | MS_NODEV,
              f"size={int(size_mb)}m,mode=1777{owner}")
    for host, inside, read_only in spec["binds"]:
        target = _place(root, inside, os.path.isdir(host))
        mount(host, target, None, MS_BIND | MS_REC)
        device = inside.startswith("/dev/")
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if device else MS_NODEV) | (MS_RDONLY if read_only else 0)
        mount(None, target, None, flags)
    for inside, target in spec["links"]:
        _place(root, os.path.dirname(inside) or "/", True)
        os.symlink(target, root + inside)
    mount("proc", _place(root, "/proc", True), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chroot(root)
    os.chdir(spec["cwd"])


def drop(uid: int | None) -> None:
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError("the app's uid did not take")
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(no_new_privs)")


def main() -> int:
    spec = json.loads(sys.argv[1])
    try:
        build(spec)
        drop(spec["uid"])
    except OSError as exc:
        print(f"llmos: cannot build the app's jail: {exc}", file=sys.stderr)
        return 126
    os.execve(spec["argv"][0], spec["argv"], spec["env"])
    return 127


if __name__ == "__main__":
    sys.exit(main())
