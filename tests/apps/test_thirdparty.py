"""A third-party app installed from a folder runs with exactly the permissions its manifest declares."""
from __future__ import annotations

import json

import pytest

from apps.installer import Installer
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig, default_home

pytestmark = pytest.mark.anyio

TOML = '''name = "thirdparty"
version = "1.0.0"
entry = "main:run"

[permissions]
syscalls = ["fs.write", "fs.read", "tool.call", "tool.list"]
tools = ["calculator"]
files = ["out/*"]
'''
PROBE = '''
import json
from syscalls.errors import PermissionDenied

async def run(sys, task):
    tries = {
        "fs.write out/a.txt": lambda: sys.fs.write("out/a.txt", "a"),
        "fs.read out/a.txt": lambda: sys.fs.read("out/a.txt"),
        "fs.write secret.txt": lambda: sys.fs.write("secret.txt", "s"),
        "fs.list": lambda: sys.fs.list("."),
        "tool calculator": lambda: sys.tool.call("calculator", expression="6*7"),
        "tool clock": lambda: sys.tool.call("clock"),
        "llm.chat": lambda: sys.llm.chat("hi", max_tokens=4),
        "proc.spawn": lambda: sys.proc.spawn("assistant", "hi"),
        "proc.ps": lambda: sys.proc.ps(),
        "mem.recall": lambda: sys.mem.recall("x"),
        "user.notify": lambda: sys.user.notify("x"),
        "browser.open": lambda: sys.browser.open("http://127.0.0.1:1/"),
    }
    out = {}
    for name, call in tries.items():
        try:
            await call()
            out[name] = "allowed"
        except PermissionDenied:
            out[name] = "denied"
    out["tools"] = [t.name for t in await sys.tool.list()]
    return json.dumps(out)
'''


async def test_installed_app_gets_exactly_its_declared_permissions(tmp_path):
    src = tmp_path / "src" / "thirdparty"
    src.mkdir(parents=True)
    (src / "app.toml").write_text(TOML)
    (src / "main.py").write_text(PROBE)
    Installer(default_home()).install(str(src))
    cfg = KernelConfig(home=str(default_home()), subsystems=[])
    async with Kernel(cfg, engine=ScriptedEngine(default="ok")) as k:
        proc = await k.wait(await k.spawn("thirdparty"), 10)
        assert proc.exit_reason == "exited", proc.error
        assert proc.permissions.syscalls == ["fs.write", "fs.read", "tool.call", "tool.list"]
    assert json.loads(proc.result) == {
        "fs.write out/a.txt": "allowed", "fs.read out/a.txt": "allowed", "fs.write secret.txt": "denied",
        "fs.list": "denied", "tool calculator": "allowed", "tool clock": "denied", "llm.chat": "denied",
        "proc.spawn": "denied", "proc.ps": "denied", "mem.recall": "denied", "user.notify": "denied",
        "browser.open": "denied", "tools": ["calculator"]}
