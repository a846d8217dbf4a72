"""Container policy: the Limits an app may tune within system maxima, and the fixed hardening every container gets."""
from __future__ import annotations

import os
import socket
from typing import Any, Mapping

import msgspec

from . import recipe

MiB = 1024 * 1024

LABEL = "llmos.sandbox"
LABEL_OWNER = "llmos.owner"
LABEL_KERNEL = "llmos.kernel"
LABEL_ROLE = "llmos.role"
LABEL_PROC = "llmos.kproc"  # host:pid:start time of the kernel process that made it
UNBOUND = "-"  # owner label of a warm-pool container not yet handed to anyone
# The agent (PID 1) runs as uid 0 with these capabilities only: setuid/setgid to start each
# program as uid 1000, kill to end every process of that uid when the program ends.  It never
# runs untrusted code itself, and a different uid is what keeps the code from ptracing it.
AGENT_USER = "0:0"
AGENT_CAPS = ("SETUID", "SETGID", "KILL")


class Limits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per-container resource limits.  The defaults are the safe ones."""

    memory_mb: int = 256          # RAM, no swap on top
    cpus: float = 1.0             # CPU share, in cores
    pids: int = 64                # processes and threads inside
    timeout_s: float = 30.0       # wall clock for one exec, then the container is killed
    output_bytes: int = 64 * 1024  # kept per stream (stdout, stderr); the rest is dropped
    tmp_mb: int = 64              # tmpfs at /tmp
    work_mb: int = 64             # tmpfs at /work (files in and out live here)
    shm_mb: int = 16              # tmpfs at /dev/shm (POSIX shared memory, semaphores)
    files_in_bytes: int = 32 * MiB   # total size of files copied in
    files_out_bytes: int = 32 * MiB  # total size of the archive copied back
    file_out_bytes: int = 16 * MiB   # any one file copied back
    files_out_count: int = 1000      # files copied back from one run (over it: none is)
    nofile: int = 1024            # open file descriptors


DEFAULT = Limits()

# What an app may ask for at most, unless the system configuration says otherwise.
SYSTEM_MAX = Limits(
    memory_mb=2048, cpus=2.0, pids=512, timeout_s=600.0, output_bytes=4 * MiB,
    tmp_mb=1024, work_mb=1024, shm_mb=1024, files_in_bytes=256 * MiB, files_out_bytes=256 * MiB,
    file_out_bytes=128 * MiB, files_out_count=20000, nofile=4096,
)

# Below these a container cannot even start Python; a request is raised to them.
_FLOOR = Limits(
    memory_mb=32, cpus=0.1, pids=8, timeout_s=0.5, output_bytes=1024, tmp_mb=1, shm_mb=1,
    work_mb=1, files_in_bytes=0, files_out_bytes=0, file_out_bytes=0, files_out_count=0, nofile=64,
)


def clamp(requested: Limits, system_max: Limits = SYSTEM_MAX) -> Limits:
    """``requested`` with every field held within [floor, system_max]."""
    values = {}
    for name in Limits.__struct_fields__:
        want = getattr(requested, name)
        values[name] = max(getattr(_FLOOR, name), min(want, getattr(system_max, name)))
    return Limits(**values)


def limits_from(spec: Mapping[str, Any] | Limits | None, *, base: Limits = DEFAULT,
                system_max: Limits = SYSTEM_MAX) -> Limits:
    """Limits from a partial mapping (an app manifest's ``[sandbox]`` table) over ``base``, clamped.

    Unknown keys or wrong types raise SandboxError(invalid)."""
    from .errors import SandboxError

    if spec is None:
        return clamp(base, system_max)
    if isinstance(spec, Limits):
        return clamp(spec, system_max)
    try:
        merged = msgspec.convert({**msgspec.structs.asdict(base), **dict(spec)}, Limits)
    except msgspec.ValidationError as exc:
        raise SandboxError(f"bad sandbox limits: {exc}", code="invalid") from exc
    return clamp(merged, system_max)


def labels(owner: str, kernel_id: str, role: str) -> dict[str, str]:
    """The labels every llmos container carries, so orphans can be found."""
    return {LABEL: "1", LABEL_OWNER: owner, LABEL_KERNEL: kernel_id, LABEL_ROLE: role,
            LABEL_PROC: process_label(os.getpid())}


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]  # field 22: start time in ticks
    except (OSError, IndexError):
        return "?"


def process_label(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def maker_alive(container_labels: Mapping[str, str]) -> bool:
    """Whether the kernel process that made a container still runs.  Unknown makers (no
    label, older llmos) count as dead; makers on another host as alive (never ours to reap)."""
    host, _, rest = container_labels.get(LABEL_PROC, "").partition(":")
    pid, _, start = rest.partition(":")
    if not host or not pid.isdigit():
        return False
    if host != socket.gethostname():
        return True
    return start != "?" and _start_time(int(pid)) == start


def host_config(api, limits: Limits, *, sdk: str | None = None) -> dict:
    """The HostConfig for one sandbox container.  Network, root, capabilities and
    privileges are fixed; only sizes come from ``limits``.  Nothing of the host is ever
    mounted (the engine may run on another host): files cross by tar copy only.  ``sdk``: the name of
    the engine-side volume holding the syscalls SDK, mounted read-only for an app (sandbox/appbox.py)."""
    from docker.types import DriverConfig, LogConfig, Mount, Ulimit

    # /work is an anonymous tmpfs-backed volume, not a plain tmpfs: Docker copies
    # archives into volumes even when the root is read-only, never into a tmpfs.
    work = Mount(
        target=recipe.WORKDIR, source=None, type="volume",
        driver_config=DriverConfig("local", {
            "type": "tmpfs", "device": "tmpfs",
            "o": f"size={limits.work_mb}m,uid={recipe.UID},gid={recipe.UID},mode=0700,nosuid,nodev",
        }),
    )
    mounts = [work]
    if sdk:
        from .appbox import SITE_IN

        mounts.append(Mount(target=SITE_IN, source=sdk, type="volume", read_only=True))
    mem = f"{limits.memory_mb}m"
    return api.create_host_config(
        network_mode="none",
        read_only=True,
        tmpfs={"/tmp": f"size={limits.tmp_mb}m,mode=1777,nosuid,nodev"},
        mounts=mounts,
        mem_limit=mem,
        memswap_limit=mem,  # equal to mem_limit: no swap
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.pids,
        cap_drop=["ALL"],
        # PID 1 (the agent) keeps only what it needs to start the code as another uid and to end it:
        # the code runs as uid 1000 with no capabilities at all, so it can neither ptrace nor signal
        # nor read the memory of the agent (see AGENT_CAPS and sandbox/agent.py)
        cap_add=list(AGENT_CAPS),
        security_opt=["no-new-privileges"],
        shm_size=limits.shm_mb * MiB,  # /dev/shm is sized like /tmp and /work (nosuid, nodev, noexec)
        ulimits=[Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile)],
        ipc_mode="private",
        init=False,
        # output is read live from the attached streams; a log driver would copy every
        # flooded byte to the host's disk first
        log_config=LogConfig(type="none"),
    )


def container_config(api, image: str, command: list[str], limits: Limits, labels: dict[str, str],
                     *, env: Mapping[str, str] | None = None, sdk: str | None = None) -> dict:
    """Keyword arguments for ``APIClient.create_container``: PID 1 (the agent) starts as
    uid 0 with only AGENT_CAPS and runs every program as the image's unprivileged user
    (uid 1000, no capabilities); the environment is only what is passed here (never the
    kernel's own)."""
    return dict(
        image=image,
        command=command,
        user=AGENT_USER,
        working_dir="/",  # the agent's own; each program starts in /work as uid 1000
        environment=dict(env or {}),
        labels=labels,
        hostname="sandbox",
        stdin_open=True,  # the agent reads its one job from stdin
        network_disabled=True,
        host_config=host_config(api, limits, sdk=sdk),
    )
