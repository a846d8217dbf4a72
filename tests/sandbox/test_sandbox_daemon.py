"""Through the real daemon and CLI: a container app uses fs.write by syscalls, and halt leaves no container."""
from __future__ import annotations

import textwrap

import pytest

from tests.daemon.harness import Home

pytestmark = pytest.mark.docker

APP = """
async def run(sys, task):
    await sys.fs.write("result.txt", task.upper())
    return "wrote " + await sys.fs.read("result.txt")
"""


def _install(home: Home, name: str, isolation: str) -> None:
    folder = home.path / "apps" / name
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text(textwrap.dedent(f"""\
        name = "{name}"
        entry = "main:run"
        isolation = "{isolation}"
        [permissions]
        syscalls = ["fs.*"]
        files = ["result.txt"]
        """))
    (folder / "main.py").write_text(APP)


def _kernel_containers(engine, kernel_pid: int) -> list:
    return [c for c in engine.api.containers(all=True, filters={"label": "llmos.sandbox=1"})
            if c["Labels"].get("llmos.kproc", "").split(":")[1:2] == [str(kernel_pid)]]


def test_container_app_on_the_daemon_and_halt_leaves_nothing(engine):
    home = Home()
    try:
        _install(home, "boxed", "container")
        r = home.llmos("boot")
        assert r.returncode == 0, r.stderr
        kpid = home.daemon_pid()
        r = home.llmos("run", "boxed", "from a container", timeout=180)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "wrote FROM A CONTAINER"
        written = list((home.path / "workspaces").glob("*/result.txt"))
        assert [p.read_text() for p in written] == ["FROM A CONTAINER"]
        assert _kernel_containers(engine, kpid)  # its warm pool is up
        r = home.llmos("halt", timeout=60)
        assert r.returncode == 0, r.stderr
        assert _kernel_containers(engine, kpid) == []
    finally:
        home.teardown()


def test_isolated_app_in_the_in_process_kernel_of_llmos_run():
    # a folder dropped into the home without `llmos install --trust` is not trusted: whatever its
    # manifest asks, its code runs isolated (a container here, where Docker answers)
    home = Home()
    try:
        _install(home, "apart", "process")
        r = home.llmos("run", "--model", "scripted", "apart", "no daemon", timeout=180)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "wrote NO DAEMON"
    finally:
        home.teardown()
