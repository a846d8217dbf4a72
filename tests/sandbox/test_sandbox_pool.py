"""The warm pool and ownership: containers never cross owners; release, close and reaping leave nothing."""
from __future__ import annotations

import os
import socket
import time

import anyio
import docker.errors
import pytest

from sandbox import Sandbox, policy
from sandbox.recipe import image_tag

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

WHOAMI = ("cid=$(grep -o -m1 'docker/[0-9a-f]\\{64\\}' /proc/self/cgroup | cut -d/ -f2); "
          "[ -n \"$cid\" ] || cid=$(grep -o -m1 '[0-9a-f]\\{64\\}' /proc/self/mountinfo); echo $cid")


async def test_each_call_gets_a_clean_container_never_shared_across_owners(sb):
    seen = {}
    for i, owner in enumerate(["A", "B", "A", "B", "C"]):
        r = await sb.exec(owner, "shell",
                          f"ls /tmp /work; echo secret-{owner} > /tmp/s-{i}; echo x > /work/w-{i}; {WHOAMI}")
        assert r.ok, r.stderr
        lines = r.stdout.split()
        cid = lines[-1]
        assert len(cid) == 64
        # nothing any earlier call (of any owner) wrote is visible
        assert not [x for x in lines[:-1] if x.startswith(("s-", "w-"))], r.stdout
        assert cid not in seen, "a container was reused"
        seen[cid] = owner


async def test_warm_pool_is_used_and_refilled(sb, engine):
    assert await anyio.to_thread.run_sync(sb._pool.wait_warm, 60)
    before = {c.id for c in engine.containers.list(filters={"label": "llmos.role=pool"})}
    r = await sb.exec("W", "shell", WHOAMI)
    assert r.stdout.strip() in before, "exec did not use a warm container"
    assert await anyio.to_thread.run_sync(sb._pool.wait_warm, 60)
    # the used container is destroyed, never returned to the pool
    for _ in range(100):
        try:
            engine.containers.get(r.stdout.strip())
        except docker.errors.NotFound:
            break
        await anyio.sleep(0.1)
    else:
        pytest.fail("used container still exists")


async def test_release_kills_running_calls_and_destroys_containers(sb, engine):
    results = []

    async def long_call():
        results.append(await sb.exec("victim", "shell", "sleep 300", timeout=120))

    async with anyio.create_task_group() as tg:
        tg.start_soon(long_call)
        for _ in range(200):
            ids = await sb.containers("victim")
            if ids:
                break
            await anyio.sleep(0.05)
        assert ids
        await anyio.sleep(0.5)
        t0 = time.monotonic()
        assert await sb.release("victim") == 1
    assert time.monotonic() - t0 < 60
    assert results[0].killed == "released"
    assert await sb.containers("victim") == []
    for cid in ids:
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(cid)


async def test_cancelled_call_destroys_its_container(sb, engine):
    with anyio.move_on_after(1.5):
        await sb.exec("cancelled", "shell", "sleep 300", timeout=120)
    assert await sb.containers("cancelled") == []


async def test_close_leaves_no_container_or_volume(engine):
    own = Sandbox(kernel_id="pytest-close-check", pool_size=2)
    await own.start(wait_warm=True)
    r = await own.exec("x", "shell", "echo hi")
    assert r.stdout == "hi\n"
    # summaries, not objects: the pool thread may remove a used container meanwhile
    mine = engine.api.containers(all=True, filters={"label": "llmos.kernel=pytest-close-check"})
    assert len(mine) >= 2
    volumes = [m["Name"] for c in mine for m in c["Mounts"] if m["Type"] == "volume"]
    assert volumes
    await own.close()
    assert engine.containers.list(all=True, filters={"label": "llmos.kernel=pytest-close-check"}) == []
    for v in volumes:
        with pytest.raises(docker.errors.NotFound):
            engine.volumes.get(v)


async def test_reap_orphans_removes_dead_kernels_containers_only(sb, engine):
    api = engine.api

    def make(kernel: str, maker: str | None) -> str:
        labels = policy.labels("42", kernel, "exec")
        if maker is None:
            labels.pop(policy.LABEL_PROC)  # made by an llmos that did not say who it was
        else:
            labels[policy.LABEL_PROC] = maker
        cfg = policy.container_config(api, image_tag(), ["sleep", "infinity"], policy.DEFAULT, labels)
        cid = api.create_container(**cfg)["Id"]
        api.start(cid)
        return cid

    dead = f"{socket.gethostname()}:{2**22 + 12345}:1"  # above pid_max: no such process
    orphans = [make("crashed-kernel", dead), make("old-kernel", None)]
    live_other = make("live-kernel", policy.process_label(os.getpid()))  # another kernel still running
    try:
        ours = {c.id for c in engine.containers.list(filters={"label": f"llmos.kernel={sb.kernel_id}"})}
        n = await sb.reap_orphans()
        assert n >= 2
        for cid in orphans:
            with pytest.raises(docker.errors.NotFound):
                engine.containers.get(cid)
        assert engine.containers.get(live_other).status == "running"
        still = {c.id for c in engine.containers.list(filters={"label": f"llmos.kernel={sb.kernel_id}"})}
        assert ours <= still | _gone(engine, ours)
    finally:
        for cid in orphans + [live_other]:
            try:
                api.remove_container(cid, force=True, v=True)
            except docker.errors.NotFound:
                pass


def _gone(engine, ids):
    out = set()
    for cid in ids:
        try:
            engine.containers.get(cid)
        except docker.errors.NotFound:  # used and discarded by the pool meanwhile is fine
            out.add(cid)
    return out


async def test_every_container_is_labelled(sb, engine):
    for c in engine.containers.list(filters={"label": f"llmos.kernel={sb.kernel_id}"}):
        assert c.labels["llmos.sandbox"] == "1"
        assert c.labels["llmos.owner"]
        assert c.labels["llmos.role"] in ("pool", "exec", "app")
