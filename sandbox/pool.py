"""The warm pool: started idle containers waiting for an owner, refilled and reaped by one thread."""
from __future__ import annotations

import threading
import time
from collections import deque

from . import agent, policy
from .policy import Limits

IDLE_CMD = agent.COMMAND  # waits for one job on stdin
# Limits fields fixed when a container is created; a request differing in any of
# these cannot use a warm container and gets a fresh one.
CREATE_FIELDS = ("memory_mb", "cpus", "pids", "tmp_mb", "work_mb", "shm_mb", "nofile")


def fits(limits: Limits, pool_limits: Limits) -> bool:
    return all(getattr(limits, f) == getattr(pool_limits, f) for f in CREATE_FIELDS)


class WarmPool:
    """``size`` started containers with ``limits``, labelled owner ``-`` until taken.

    A taken container is never returned: the caller hands it to ``discard`` when done
    and the pool thread removes it and starts a fresh one.  Idle containers older than
    ``idle_s`` are replaced, so none lingers for days."""

    def __init__(self, api, image: str, kernel_id: str, limits: Limits, *, size: int = 2,
                 idle_s: float = 600.0):
        self.api, self.image, self.kernel_id = api, image, kernel_id
        self.limits, self.size, self.idle_s = limits, max(0, size), idle_s
        self._idle: deque[tuple[str, float]] = deque()
        self._trash: deque[str] = deque()
        self._cv = threading.Condition()
        self._closed = False
        self.started = 0  # containers this pool has created, for stats
        self._thread = threading.Thread(target=self._loop, name="llmos-sandbox-pool", daemon=True)
        self._thread.start()

    # -- used by the Sandbox (any thread) -------------------------------------------
    def take(self, limits: Limits) -> str | None:
        """A warm container for ``limits``, or None (the caller then makes a cold one)."""
        if not fits(limits, self.limits):
            return None
        with self._cv:
            cid = self._idle.popleft()[0] if self._idle else None
            self._cv.notify()
        return cid

    def create(self, limits: Limits, owner: str, role: str = "exec", *, command=None,
               env=None, sdk: str | None = None) -> str:
        """Create and start a container now (the cold path)."""
        cfg = policy.container_config(self.api, self.image, command or IDLE_CMD, limits,
                                      policy.labels(owner, self.kernel_id, role),
                                      env=env, sdk=sdk)
        cid = self.api.create_container(**cfg)["Id"]
        self.started += 1
        try:
            self.api.start(cid)
        except Exception:
            self.remove(cid)
            raise
        return cid

    def discard(self, cid: str) -> None:
        """Destroy ``cid`` soon, from the pool thread."""
        with self._cv:
            self._trash.append(cid)
            self._cv.notify()

    def remove(self, cid: str) -> None:
        """Destroy ``cid`` now: SIGKILL, then remove it with its anonymous /work volume."""
        import docker.errors

        try:
            self.api.remove_container(cid, force=True, v=True)
            return
        except docker.errors.NotFound:
            return
        except Exception:
            pass  # typically "removal already in progress" from the pool thread: wait for it
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                self.api.inspect_container(cid)
            except docker.errors.NotFound:
                return
            except Exception:
                pass
            time.sleep(0.05)

    def idle_count(self) -> int:
        with self._cv:
            return len(self._idle)

    def wait_warm(self, timeout: float = 30.0) -> bool:
        """Block until the pool is full (for benchmarks and tests)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.idle_count() >= self.size:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=60)
        with self._cv:
            doomed = [c for c, _ in self._idle] + list(self._trash)
            self._idle.clear()
            self._trash.clear()
        for cid in doomed:
            self.remove(cid)

    # -- the pool thread ----------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cv:
                if self._closed:
                    return
                trash = list(self._trash)
                self._trash.clear()
                now = time.monotonic()
                expired = [c for c, t in self._idle if now - t > self.idle_s]
                if expired:
                    self._idle = deque((c, t) for c, t in self._idle if c not in expired)
                need = self.size - len(self._idle)
            for cid in trash + expired:
                self.remove(cid)
            if need > 0 and not trash:
                try:
                    cid = self.create(self.limits, policy.UNBOUND, "pool")
                except Exception:
                    time.sleep(1.0)  # engine hiccup: retry later, the cold path still works
                    continue
                with self._cv:
                    if self._closed:
                        doomed = cid
                    else:
                        self._idle.append((cid, time.monotonic()))
                        doomed = None
                if doomed:
                    self.remove(doomed)
                continue
            with self._cv:
                if not self._closed and not self._trash and len(self._idle) >= self.size:
                    self._cv.wait(timeout=min(5.0, self.idle_s))
