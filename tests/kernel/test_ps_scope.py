"""proc.ps shows an app its own process tree; every process (with other apps' tasks) only to an app
granted ``proc.ps.all`` by name, and never through a child when the parent lacks it."""
from __future__ import annotations

import anyio
import pytest

from apps.manifest import ManifestError, check, parse_manifest

pytestmark = pytest.mark.anyio

SECRET = "my bank password is hunter2"
BANKER = """
async def run(sys, task):
    try:
        await sys.proc.recv(timeout=30)
    except Exception:
        pass
    return "done"
"""
LISTER = """
import json
from syscalls.errors import SyscallError

async def run(sys, task):
    out = {}
    if task == "spawn":
        child = await sys.proc.spawn("helper", "child")
        out["child"] = child
        await sys.proc.wait(child, timeout=20)
    for all_ in (False, True):
        try:
            out[str(all_)] = [[p.pid, p.app, p.task] for p in await sys.proc.ps(all=all_)]
        except SyscallError as exc:
            out[str(all_)] = exc.code + ": " + exc.message
    return json.dumps(out)
"""
HELPER = """
import json
from syscalls.errors import SyscallError

async def run(sys, task):
    try:
        return json.dumps([[p.pid, p.app, p.task] for p in await sys.proc.ps(all=True)])
    except SyscallError as exc:
        return exc.code
"""


async def _listing(k, app: str, task: str, banker: int) -> dict:
    import json
    pid = await k.spawn(app, task)
    proc = await k.wait(pid, 20)
    k.signal(banker, "KILL")
    return json.loads(proc.result)


@pytest.fixture
def apps(make_app):
    make_app("banker", code=BANKER, syscalls=["proc.recv"])
    make_app("snoop", code=LISTER, syscalls=["proc.ps", "proc.spawn", "proc.wait"], spawn=["helper"])
    make_app("globber", code=LISTER, syscalls=["proc.*"], spawn=["helper"])
    make_app("monitor", code=LISTER, syscalls=["proc.ps", "proc.ps.all"])
    make_app("helper", code=HELPER, syscalls=["proc.ps", "proc.ps.all"])


async def test_an_app_sees_its_own_tree_and_not_another_apps_task(kernel_factory, apps):
    async with kernel_factory() as k:
        banker = await k.spawn("banker", SECRET)
        out = await _listing(k, "snoop", "spawn", banker)
    mine = out["False"]
    assert [app for _, app, _ in mine] == ["snoop", "helper"][: len(mine)] and SECRET not in str(mine)
    assert out["True"].startswith("permission: app 'snoop' may list only its own process tree")


async def test_a_glob_does_not_grant_the_privilege(kernel_factory, apps):
    async with kernel_factory() as k:
        banker = await k.spawn("banker", SECRET)
        out = await _listing(k, "globber", "", banker)
    assert out["True"].startswith("permission") and SECRET not in str(out)


async def test_the_named_grant_sees_every_process(kernel_factory, apps):
    async with kernel_factory() as k:
        banker = await k.spawn("banker", SECRET)
        out = await _listing(k, "monitor", "", banker)
    assert [banker, "banker", SECRET] in out["True"] and SECRET not in str(out["False"])


async def test_a_child_with_the_grant_cannot_see_for_a_parent_without_it(kernel_factory, apps):
    async with kernel_factory() as k:
        banker = await k.spawn("banker", SECRET)
        pid = await k.spawn("snoop", "spawn")
        with anyio.fail_after(20):
            proc = await k.wait(pid, 20)
        k.signal(banker, "KILL")
        helper = [p for p in k.ptable.all() if p.app == "helper"] + list(k.ptable.reaped.values())
    results = [p.result for p in helper if p.app == "helper"]
    assert results == ["permission"] and SECRET not in (proc.result or "")


def test_the_manifest_accepts_the_grant_by_name_only():
    ok = parse_manifest('name = "m"\nentry = "main:run"\n[permissions]\nsyscalls = ["proc.ps", "proc.ps.all"]\n')
    assert check(ok) == ""
    with pytest.raises(ManifestError, match="'proc.ps.every' matches no syscall"):
        parse_manifest('name = "m"\nentry = "main:run"\n[permissions]\nsyscalls = ["proc.ps.every"]\n')
