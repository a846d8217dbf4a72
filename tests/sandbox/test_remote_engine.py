"""A Docker engine reached over TCP: sandboxes and container apps run there with files crossing by tar only and
the kernel reached over the container's exec stdio, never a bind mount; an engine that refuses or never answers
is one clear line within the configured time, and the kernel goes on."""
from __future__ import annotations

import json
import os
import socket
import threading
import time

import anyio
import docker
import pytest
from docker.api.container import ContainerApiMixin

from drivers.llm import ScriptedEngine
from kernel.proc.execprog import Program, spawn
from sandbox import Sandbox, SandboxError, build_image, image_tag
from sandbox.image import cache_dir
from sandbox.recipe import recipe_hash
from tests.openai.conftest import api_kernel
from tests.openai.test_exec_container import PROGRAM
from tests.sandbox import remote_engine
from tests.sandbox.sandbox_support import docker_client
from tests.sandbox.test_sandbox_isolate import PROBE, isolated_app

pytestmark = pytest.mark.anyio


SEPARATE: list[bool] = []  # whether the TCP engine is a dockerd of its own (not this machine's, forwarded)


@pytest.fixture(scope="module")
def tcp_engine():
    docker_client().close()  # skips (fails under CI) without a local engine and the image
    eng = remote_engine.start()
    SEPARATE[:] = [isinstance(eng, remote_engine.SecondDockerd)]
    client = docker.DockerClient(base_url=eng.url, timeout=120)
    try:
        yield client
    finally:
        client.close()
        eng.stop()


@pytest.fixture
def created(monkeypatch):
    """Every container created through the Docker SDK while the test runs: (engine address, inspect)."""
    seen: list[tuple[str, dict]] = []
    real = ContainerApiMixin.create_container

    def create(self, *a, **kw):
        out = real(self, *a, **kw)
        seen.append((self.base_url, self.inspect_container(out["Id"])))
        return out

    monkeypatch.setattr(ContainerApiMixin, "create_container", create)
    return seen


def assert_no_host_path(created: list[tuple[str, dict]], tcp_engine) -> None:
    """Every container was made on the TCP engine and mounts no host path: its own /work volume, and for an
    app the SDK's volume (filled by tar, read-only); the SDK's helper holds that volume only."""
    assert created
    for base_url, info in created:
        assert base_url == tcp_engine.api.base_url
        assert not info["HostConfig"].get("Binds")
        mounts = sorted((m["Type"], m["Destination"], m["RW"]) for m in info["Mounts"])
        role = info["Config"]["Labels"].get("llmos.role")
        want = {"app": [("volume", "/opt/llmos", False), ("volume", "/work", True)],
                "sdk": [("volume", "/sdk", True)]}.get(role, [("volume", "/work", True)])
        assert mounts == want, (role, mounts)


@pytest.mark.docker
async def test_a_sandbox_exec_moves_files_in_and_out_by_tar(tcp_engine, created):
    sb = Sandbox(base_url=tcp_engine.api.base_url.replace("http://", "tcp://"), pool_size=1,
                 kernel_id=f"remote-{os.getpid()}")
    try:
        r = await sb.exec("1", "shell", "sort data/in.txt > out/sorted.txt && wc -l < out/sorted.txt",
                          files={"data/in.txt": b"b\nc\na\n", "out/.keep": b""}, collect=["out/sorted.txt"])
        assert r.ok, r.stderr
        assert r.stdout.strip() == "3" and r.files_out == {"out/sorted.txt": b"a\nb\nc\n"}
        assert (await sb.stats())["engine"].startswith("tcp://")
    finally:
        await sb.close()
    assert_no_host_path(created, tcp_engine)
    assert not tcp_engine.containers.list(all=True, filters={"label": f"llmos.kernel=remote-{os.getpid()}"})


@pytest.mark.docker
async def test_a_container_app_makes_syscalls_on_a_tcp_engine(tcp_engine, created, kernel_factory, make_app,
                                                            monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", tcp_engine.api.base_url.replace("http://", "tcp://"))
    isolated_app(make_app.root, "far-app", "container", PROBE)
    async with kernel_factory(subsystems=["sandbox"]) as k:
        p = await k.wait(await k.spawn("far-app", "the far container"), timeout=120)
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["uid"] == 1000 and res["init"] == "python3" and res["pid_seen"] == p.pid
        assert (k.workspace_path(p.pid) / "notes" / "hello.txt").read_text() == "written from the far container"
        assert res["denied"] == "PermissionDenied:permission"  # the kernel's rules, as for any app
    assert [c for c in created if c[1]["Config"]["Labels"].get("llmos.role") == "app"]
    assert_no_host_path(created, tcp_engine)


@pytest.mark.docker
async def test_a_contained_program_reaches_the_api_on_a_tcp_engine(tcp_engine, created, kernel_factory, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", tcp_engine.api.base_url.replace("http://", "tcp://"))
    script = tmp_path / "agent.py"
    script.write_text(PROGRAM)
    async with api_kernel(kernel_factory, ScriptedEngine(default="far hello"),
                          subsystems=("sandbox", "openai_api")) as k:
        pid = await spawn(k, Program(argv=["python3", "agent.py"], cwd=str(tmp_path), isolation="container"))
        proc = await k.wait(pid, timeout=120)
        out = [e["text"] for e in k.events.for_pid(pid) if e["kind"] == "proc.output"]
        assert out == ["model: far hello", "network: no"], (proc.error, out)
        assert (proc.exit_reason, proc.exit_status) == ("exited", 5)
    assert_no_host_path(created, tcp_engine)


@pytest.mark.docker
def test_the_image_is_imported_through_the_tcp_engine(tcp_engine):
    """The fixture copied the image in (save here, load there); a build imports its root filesystem there too."""
    if not SEPARATE[0]:
        pytest.skip("the TCP engine is this machine's own: its image is not re-imported under running kernels")
    if not (cache_dir() / f"rootfs-{recipe_hash()}.ok").exists():
        pytest.skip("no cached root filesystem on this machine (debootstrap would need the network)")
    before = tcp_engine.images.get(image_tag())
    tag = build_image(progress=False, force=True, base_url=tcp_engine.api.base_url.replace("http://", "tcp://"))
    after = tcp_engine.images.get(tag)
    assert tag == image_tag() and after.id != before.id  # a new import, not the copied image
    assert after.attrs["Config"]["User"] == "1000:1000"


@pytest.mark.docker
async def test_the_sdk_volume_is_made_once_and_reap_all_removes_it(tcp_engine, tmp_path):
    if not SEPARATE[0]:
        pytest.skip("reap --all on this machine's own engine would remove other kernels' containers")
    url = tcp_engine.api.base_url.replace("http://", "tcp://")
    kernel_socket = socket.socket(socket.AF_UNIX)
    kernel_socket.bind(str(tmp_path / "k.sock"))
    kernel_socket.listen(1)
    sb = Sandbox(base_url=url, pool_size=0, kernel_id=f"sdk-{os.getpid()}")
    try:
        for owner in ("a", "b"):
            r = await sb.run_app(owner, ["python3", "-c", "import syscalls; print(syscalls.__file__)"],
                                 str(tmp_path / "k.sock"))
            assert r.ok and r.stdout.strip() == "/opt/llmos/syscalls/__init__.py", r.stderr
    finally:
        await sb.close()
        kernel_socket.close()
    sdk = tcp_engine.volumes.list(filters={"label": "llmos.sdk"})
    assert len(sdk) == 1 and sdk[0].name.startswith("llmos-sdk-")
    reaper = Sandbox(base_url=url, pool_size=0, kernel_id="reaper")
    await reaper.reap_orphans(everything=True)
    await reaper.close()
    assert tcp_engine.volumes.list(filters={"label": "llmos.sdk"}) == []


# -- an engine that refuses, or accepts and never answers --------------------------------------------------------
@pytest.fixture
def black_hole():
    """A TCP port that accepts connections and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    srv.close()
    for c in held:
        c.close()


def closed_port() -> str:
    return f"tcp://127.0.0.1:{remote_engine.free_port()}"  # nothing listens there now


@pytest.mark.parametrize("kind", ["refuses", "never answers"])
async def test_an_engine_that_refuses_or_never_answers_is_one_line_within_the_timeout(kind, request):
    url = closed_port() if kind == "refuses" else request.getfixturevalue("black_hole")
    sb = Sandbox(base_url=url, connect_timeout=1.5)
    for call in (lambda: sb.exec("1", "python", "print(1)"), sb.start, sb.reap_orphans):
        t0 = time.monotonic()
        with pytest.raises(SandboxError) as ei:
            await call()
        took = time.monotonic() - t0
        msg = str(ei.value)
        assert ei.value.code == "unavailable" and ei.value.retryable
        assert msg.startswith(f"docker engine {url} unreachable: ") and "\n" not in msg, msg
        assert ("refused" in msg) if kind == "refuses" else ("timed out" in msg), msg
        assert took < 1.5 + 2.0, took  # the configured timeout, not the engine client's long one
    assert await sb.release("1") == 0
    await sb.close()


async def test_calls_at_once_against_an_engine_that_never_answers_wait_one_timeout_not_one_each(black_hole):
    sb = Sandbox(base_url=black_hole, connect_timeout=1.5)
    errors: list[str] = []

    async def call(n: int) -> None:
        try:
            await sb.exec(str(n), "python", "print(1)")
        except SandboxError as exc:
            errors.append(str(exc))

    t0 = time.monotonic()
    async with anyio.create_task_group() as tg:
        for n in range(4):
            tg.start_soon(call, n)
    took = time.monotonic() - t0
    assert len(errors) == 4 and all(e.startswith(f"docker engine {black_hole} unreachable: ") for e in errors)
    assert took < 1.5 + 2.0, took  # serialized attempts would take 4 x 1.5 s
    await sb.close()


async def test_a_kernel_whose_engine_never_answers_keeps_running(black_hole, kernel_factory, make_app):
    make_app("far-tools", syscalls=("tool.*", "fs.*", "proc.*"), tools=("python", "calculator"), code="""
        from syscalls.errors import SyscallError
        async def run(sys, task):
            try:
                await sys.tool.call("python", code="print(1)")
            except SyscallError as e:
                err = [e.code, e.message]
            calc = await sys.tool.call("calculator", expression="6 * 7")
            await sys.fs.write("ok.txt", "still here")
            return {"err": err, "calc": calc.output}
        """)
    async with kernel_factory(engine=ScriptedEngine(default="ok"), subsystems=["sandbox"],
                              sandbox_engine=black_hole, sandbox_connect_timeout=1.0) as k:
        with anyio.fail_after(30):
            p = await k.wait(await k.spawn("far-tools"))
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["err"][0] == "unavailable" and res["err"][1].startswith(f"docker engine {black_hole} unreachable")
        assert res["calc"] == "42" and (k.workspace_path(p.pid) / "ok.txt").read_text() == "still here"
        ev = [e for e in k.events.recent if e["kind"] == "sandbox.unavailable"]
        assert ev and ev[0]["error"].startswith(f"docker engine {black_hole} unreachable")


async def test_a_container_app_on_an_engine_that_never_answers_ends_unavailable(black_hole, kernel_factory,
                                                                                 make_app):
    isolated_app(make_app.root, "far-box", "container", PROBE)
    make_app("after", syscalls=("fs.*", "proc.*"), code="""
        async def run(sys, task):
            await sys.fs.write("after.txt", "the kernel went on")
            return "ok"
        """)
    async with kernel_factory(subsystems=["sandbox"], sandbox_engine=black_hole,
                              sandbox_connect_timeout=1.0) as k:
        with anyio.fail_after(30):
            p = await k.wait(await k.spawn("far-box"))
            q = await k.wait(await k.spawn("after"))
        assert p.exit_reason == "error" and p.error.startswith("unavailable"), (p.exit_reason, p.error)
        assert f"docker engine {black_hole} unreachable: " in p.error and "\n" not in p.error
        assert (q.exit_reason, q.result) == ("exited", "ok")
        assert (k.workspace_path(q.pid) / "after.txt").read_text() == "the kernel went on"
