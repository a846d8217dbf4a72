"""Sandbox: the async face of the sandbox for the kernel (exec, apps, release, close, reaping)."""
from __future__ import annotations

import functools
import threading
import time
import uuid
from typing import Callable, Mapping, TypeVar

import anyio
import msgspec

from . import appbox, policy, recipe
from .engine import CONNECT_TIMEOUT, connect, engine_url, is_local, unavailable
from .errors import SandboxError
from .exec import RunState, command_for, run
from .policy import DEFAULT, SYSTEM_MAX, Limits
from .pool import WarmPool
from .result import ExecResult
from .tunnel import Tunnel

T = TypeVar("T")


class _DeadContainer(Exception):
    """The container vanished before the run began; safe to retry on a fresh one."""


class Sandbox:
    """Docker containers for untrusted code, bound to owners (kernel process ids).

    Constructing one never fails and touches nothing; the engine is reached on the
    first call, and every call raises SandboxError(code="unavailable") while no engine
    answers or the image is missing."""

    def __init__(self, *, base_url: str | None = None, kernel_id: str | None = None,
                 image: str | None = None, pool_size: int = 2, idle_s: float = 600.0,
                 limits: Limits = DEFAULT, system_max: Limits = SYSTEM_MAX,
                 connect_timeout: float = CONNECT_TIMEOUT):
        self.url = engine_url(base_url)
        self.connect_timeout = connect_timeout
        self.kernel_id = kernel_id or uuid.uuid4().hex[:12]
        self.image = image or recipe.image_tag()
        self.limits = policy.clamp(limits, system_max)
        self.system_max = system_max
        self.pool_size, self.idle_s = pool_size, idle_s
        self._client = None
        self._pool: WarmPool | None = None
        self._lock = threading.Lock()  # the runs table and the pool's handle
        self._connect_lock = threading.Lock()  # one connection attempt (and SDK volume fill) at a time
        self._down: tuple[float, str] | None = None  # when the last attempt failed, and why
        self._runs: dict[str, dict[str, RunState]] = {}  # owner -> {container id: state}
        self._closed = False
        self._sdk: str | None = None  # the SDK volume's name on the engine, once made

    # -- public async API -----------------------------------------------------------
    async def start(self, *, wait_warm: bool = False) -> None:
        """Connect, check the image and start filling the pool (optional: calls do it lazily)."""
        pool = await self._call(self._ensure)
        if wait_warm:
            await anyio.to_thread.run_sync(pool.wait_warm)

    async def exec(self, owner: str, kind: str, code: str, *, files: dict[str, bytes] | None = None,
                   timeout: float | None = None, limits: Limits | Mapping | None = None,
                   collect: list[str] | None = None) -> ExecResult:
        """Run ``code`` (``python`` or ``shell``) in a fresh-per-call container owned by ``owner``."""
        lim = self._limits(limits, timeout)
        argv, code_files = command_for(kind, code)
        all_files = {**(files or {}), **code_files}
        return await self._run(owner, lim, argv, all_files, collect, env=None, kernel=None,
                               fork=kind == "python")

    async def run_app(self, owner: str, command: list[str], socket_path: str, env: Mapping[str, str] | None = None,
                      limits: Limits | Mapping | None = None, *, files: dict[str, bytes] | None = None,
                      timeout: float | None = None, collect: list[str] | None = None) -> ExecResult:
        """Run an untrusted app's ``command`` in its own container that reaches the kernel only
        through ``socket_path`` (a Unix socket on this host): each connection to $LLMOS_SOCKET in the
        container is relayed to it over the Docker API (sandbox/tunnel.py), nothing is mounted."""
        lim = self._limits(limits, timeout)
        appbox.check_socket(socket_path)
        app_env = appbox.environment(env)
        return await self._run(owner, lim, list(command), dict(files or {}), collect,
                               env=app_env, kernel=socket_path)

    async def release(self, owner: str) -> int:
        """Destroy every container of ``owner`` now; its running calls end with killed='released'."""
        return await anyio.to_thread.run_sync(self._release, owner)

    async def close(self) -> None:
        """Destroy every container this Sandbox made, warm ones included."""
        await anyio.to_thread.run_sync(self._close)

    async def reap_orphans(self, *, everything: bool = False) -> int:
        """Remove llmos containers whose kernel process is gone (left by a crash); return how
        many.  Containers of other live kernels on this machine are spared unless ``everything``."""
        return await self._call(self._reap, everything)

    async def containers(self, owner: str | None = None) -> list[str]:
        """Ids of the containers now bound to ``owner`` (all owners when None)."""
        with self._lock:
            if owner is not None:
                return list(self._runs.get(owner, {}))
            return [cid for runs in self._runs.values() for cid in runs]

    async def stats(self) -> dict:
        pool = self._pool
        return {"engine": self.url, "image": self.image, "kernel_id": self.kernel_id,
                "connected": self._client is not None,
                "warm": pool.idle_count() if pool else 0, "pool_size": self.pool_size,
                "started": pool.started if pool else 0,
                "running": sum(len(v) for v in self._runs.values())}

    # -- internals --------------------------------------------------------------------
    def _limits(self, limits, timeout: float | None) -> Limits:
        lim = policy.limits_from(limits, base=self.limits, system_max=self.system_max)
        if timeout is not None:
            lim = policy.clamp(msgspec.structs.replace(lim, timeout_s=float(timeout)),
                               self.system_max)
        return lim

    async def _call(self, fn: Callable[..., T], *args) -> T:
        return await anyio.to_thread.run_sync(functools.partial(self._guard, fn, *args))

    def _guard(self, fn, *args):
        """Run ``fn`` translating engine failures into SandboxError."""
        import docker.errors
        import requests

        try:
            return fn(*args)
        except SandboxError:
            raise
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, FileNotFoundError,
                ConnectionError) as exc:
            raise unavailable(self.url, exc) from exc
        except docker.errors.APIError as exc:
            raise SandboxError(f"Docker engine error: {exc.explanation or exc}", code="io") from exc
        except docker.errors.DockerException as exc:
            raise SandboxError(f"Docker error: {exc}", code="io") from exc

    def _ensure(self) -> WarmPool:
        """The pool, connecting first if need be.  One thread connects at a time, and the calls that waited
        for it share its failure for ``connect_timeout`` seconds: N calls against an engine that never
        answers wait one timeout, not N.  The runs table's lock is never held while the engine is slow."""
        with self._connect_lock:
            with self._lock:
                if self._closed:
                    raise SandboxError("this Sandbox is closed", code="unavailable")
                if self._pool is not None:
                    return self._pool
            if self._down is not None and time.monotonic() - self._down[0] < self.connect_timeout:
                raise SandboxError(self._down[1], code="unavailable", retryable=True)
            try:
                client = connect(self.url, timeout=self.system_max.timeout_s + 60,
                                 connect_timeout=self.connect_timeout)
            except SandboxError as exc:
                self._down = (time.monotonic(), str(exc))
                raise
            self._down = None
            import docker.errors

            try:
                client.images.get(self.image)
            except docker.errors.ImageNotFound:
                client.close()
                raise SandboxError(
                    f"sandbox image {self.image} is missing; build it with `python -m sandbox build` "
                    "(or `llmos sandbox build`) as root; it is never pulled",
                    code="unavailable") from None
            with self._lock:
                if self._closed:
                    client.close()
                    raise SandboxError("this Sandbox is closed", code="unavailable")
                self._client = client
                self._pool = WarmPool(client.api, self.image, self.kernel_id, self.limits,
                                      size=self.pool_size, idle_s=self.idle_s)
                return self._pool

    async def _run(self, owner: str, lim: Limits, argv: list[str], files: dict[str, bytes],
                   collect, *, env, kernel: str | None, fork: bool = False) -> ExecResult:
        warm = True
        while True:
            state = await self._call(self._acquire, owner, lim, env, kernel, warm)
            try:
                return await anyio.to_thread.run_sync(
                    functools.partial(self._guard, self._run_blocking, owner, state, argv, files,
                                      lim, collect, env, fork, kernel), abandon_on_cancel=True)
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._abort, owner, state)
                raise
            except _DeadContainer:
                if not warm:
                    raise SandboxError("a fresh sandbox container died before the run started",
                                       code="io") from None
                warm = False  # a warm container was removed behind our back: go cold once

    def _acquire(self, owner: str, lim: Limits, env, kernel, warm: bool = True) -> RunState:
        pool = self._ensure()
        cid = None if (env or kernel or not warm) else pool.take(lim)
        if cid is None:
            cid = pool.create(lim, owner, "app" if kernel else "exec", env=env,
                              sdk=self._sdk_volume(pool) if kernel else None)
        state = RunState(pool.api, cid)
        with self._lock:
            self._runs.setdefault(owner, {})[cid] = state
        return state

    def _sdk_volume(self, pool: WarmPool) -> str:
        with self._connect_lock:
            if self._sdk is None:
                self._sdk = appbox.sdk_volume(pool.api, self.image, {policy.LABEL: "1"})
            return self._sdk

    def _run_blocking(self, owner, state: RunState, argv, files, lim, collect, env, fork, kernel) -> ExecResult:
        import docker.errors

        pool = self._pool
        tunnel = None
        try:
            if pool is None:  # closed while this call waited for its thread
                raise SandboxError("this Sandbox is closed", code="unavailable")
            if kernel:  # an app: the channel to the kernel's socket comes up while its files are copied in
                tunnel = Tunnel(pool.api, state.cid, kernel, appbox.SOCKET_IN)
                tunnel.begin()
            return run(pool.api, state.cid, argv, files=files, limits=lim, collect=collect,
                       state=state, local=is_local(self.url), env=env, fork=fork,
                       before_start=tunnel.wait_ready if tunnel else None)
        except docker.errors.APIError as exc:
            if state.started or state.reason:
                raise
            gone = exc.status_code == 404 or "is not running" in str(exc.explanation or "")
            if gone:
                raise _DeadContainer() from exc
            raise
        finally:
            if tunnel is not None:
                tunnel.close()
            with self._lock:
                owned = self._runs.get(owner, {})
                owned.pop(state.cid, None)
                if not owned:
                    self._runs.pop(owner, None)
            if pool is not None:
                pool.discard(state.cid)

    def _abort(self, owner: str, state: RunState) -> None:
        """A cancelled call: kill and remove its container now, not when its thread ends."""
        state.stop("released")
        with self._lock:
            owned = self._runs.get(owner, {})
            owned.pop(state.cid, None)
            if not owned:
                self._runs.pop(owner, None)
        if self._pool is not None:
            self._pool.remove(state.cid)

    def _release(self, owner: str) -> int:
        with self._lock:
            states = list(self._runs.pop(owner, {}).values())
        for st in states:
            st.stop("released")
        if self._pool is not None:
            for st in states:
                self._pool.remove(st.cid)
        return len(states)

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            owners = list(self._runs)
        for owner in owners:
            self._release(owner)
        if self._pool is not None:
            self._pool.close()
            self._remove_labelled(self._pool, lambda labels: labels.get(policy.LABEL_KERNEL) == self.kernel_id)
        if self._client is not None:
            self._client.close()

    def _reap(self, everything: bool = False) -> int:
        pool = self._ensure()
        n = self._remove_labelled(pool, lambda labels: labels.get(policy.LABEL_KERNEL) != self.kernel_id
                                  and (everything or not policy.maker_alive(labels)))
        if everything:
            appbox.remove_sdk_volumes(pool.api)
        return n

    def _remove_labelled(self, pool: WarmPool, pick) -> int:
        api = pool.api
        n = 0
        for c in api.containers(all=True, filters={"label": f"{policy.LABEL}=1"}):
            if pick(c.get("Labels") or {}):
                try:
                    api.remove_container(c["Id"], force=True, v=True)
                    n += 1
                except Exception:
                    pass
        return n
