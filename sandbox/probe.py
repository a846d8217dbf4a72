"""Evidence for why a container's process died: cgroup OOM-kill and pids-limit counters."""
from __future__ import annotations

import re

# cgroup v1 (cgroupfs driver), v2 with systemd, v2 with cgroupfs
_HOST = {
    "oom": ("/sys/fs/cgroup/memory/docker/{id}/memory.oom_control",
            "/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.events",
            "/sys/fs/cgroup/docker/{id}/memory.events"),
    "pids": ("/sys/fs/cgroup/pids/docker/{id}/pids.events",
             "/sys/fs/cgroup/system.slice/docker-{id}.scope/pids.events",
             "/sys/fs/cgroup/docker/{id}/pids.events"),
}
_INSIDE = {
    "oom": "cat /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null",
    "pids": "cat /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events 2>/dev/null",
}
_KEY = {"oom": re.compile(r"^oom_kill (\d+)", re.M), "pids": re.compile(r"^max (\d+)", re.M)}


def counter(api, cid: str, kind: str, *, local: bool) -> int | None:
    """How many OOM kills (``oom``) or refused forks (``pids``) the container's cgroup
    has seen, or None when no counter can be read."""
    if local:
        for pattern in _HOST[kind]:
            try:
                with open(pattern.format(id=cid)) as f:
                    m = _KEY[kind].search(f.read())
                if m:
                    return int(m.group(1))
            except OSError:
                continue
    try:  # a remote engine, or an unusual cgroup layout: ask from inside
        eid = api.exec_create(cid, ["sh", "-c", _INSIDE[kind]], user="1000:1000")["Id"]
        out = api.exec_start(eid).decode(errors="replace")
        m = _KEY[kind].search(out)
        return int(m.group(1)) if m else None
    except Exception:
        return None


_CPU_HOST = (("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage", 1e-9),
             ("/sys/fs/cgroup/cpu,cpuacct/docker/{id}/cpuacct.usage", 1e-9),
             ("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat", 1e-6),
             ("/sys/fs/cgroup/docker/{id}/cpu.stat", 1e-6))


def cpu_seconds(api, cid: str, *, local: bool) -> float | None:
    """CPU seconds the container's processes have used so far, or None when unreadable
    (a stopped container's cgroup is gone)."""
    if local:
        for pattern, unit in _CPU_HOST:
            try:
                with open(pattern.format(id=cid)) as f:
                    text = f.read()
            except OSError:
                continue
            m = re.search(r"usage_usec (\d+)", text) if text.startswith("usage_usec") else None
            try:
                return int(m.group(1) if m else text.split()[0]) * unit
            except (ValueError, IndexError):
                continue
    try:
        stats = api.stats(cid, stream=False, one_shot=True)
        return int(stats["cpu_stats"]["cpu_usage"]["total_usage"]) * 1e-9
    except Exception:
        return None


def pids_near_limit(api, cid: str, limit: int) -> bool:
    """Last resort for ``pids``: the current process count is close to the limit."""
    try:
        stats = api.stats(cid, stream=False, one_shot=True)
        return int(stats.get("pids_stats", {}).get("current", 0)) >= max(1, int(limit * 0.75))
    except Exception:
        return False


def oom_flag(api, cid: str) -> bool:
    try:
        return bool(api.inspect_container(cid)["State"].get("OOMKilled"))
    except Exception:
        return False
