"""An installed app may be several modules that import each other relatively, trusted (in the kernel) or
isolated (a jailed process); two apps, or two versions of one, never share a module."""
from __future__ import annotations

from pathlib import Path

import pytest

from apps.installer import Installer
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig, default_home

pytestmark = pytest.mark.anyio

MAIN = '''
from .helpers import greet
from .lib.fmt import shout
from . import VERSION


async def run(sys, task):
    return shout(greet(task)) + " v" + VERSION
'''


def write_app(root: Path, name: str, *, version: str, word: str) -> Path:
    src = root / f"{name}-{version}"
    (src / "lib").mkdir(parents=True)
    (src / "app.toml").write_text(f'name = "{name}"\nversion = "{version}"\nentry = "main:run"\n\n'
                                  '[permissions]\nsyscalls = []\n')
    (src / "__init__.py").write_text(f'VERSION = "{version}"\n')
    (src / "main.py").write_text(MAIN)
    (src / "helpers.py").write_text(f"def greet(who):\n    return '{word} ' + who\n")
    (src / "lib" / "__init__.py").write_text("")
    (src / "lib" / "fmt.py").write_text("from ..helpers import greet as _unused  # a relative import two levels up\n\n\n"
                                        "def shout(text):\n    return text.upper() + '!'\n")
    return src


async def run(app: str, task: str) -> str:
    cfg = KernelConfig(home=str(default_home()), subsystems=[])
    async with Kernel(cfg, engine=ScriptedEngine(default="ok")) as k:
        proc = await k.wait(await k.spawn(app, task), 30)
        assert proc.exit_reason == "exited", proc.error
        return proc.result


@pytest.mark.parametrize("trust", [True, False], ids=["in-kernel", "jailed"])
async def test_a_multi_module_app_imports_relatively(tmp_path, trust):
    Installer(default_home()).install(str(write_app(tmp_path, "pkgapp", version="1.0.0", word="hello")), trust=trust)
    assert await run("pkgapp", "ada") == "HELLO ADA! v1.0.0"


async def test_two_apps_and_two_versions_never_share_modules(tmp_path):
    inst = Installer(default_home())
    inst.install(str(write_app(tmp_path, "one", version="1.0.0", word="hello")), trust=True)
    inst.install(str(write_app(tmp_path, "two", version="1.0.0", word="goodbye")), trust=True)
    cfg = KernelConfig(home=str(default_home()), subsystems=[])
    async with Kernel(cfg, engine=ScriptedEngine(default="ok")) as k:
        a = await k.wait(await k.spawn("one", "x"), 30)
        b = await k.wait(await k.spawn("two", "x"), 30)
        assert (a.result, b.result) == ("HELLO X! v1.0.0", "GOODBYE X! v1.0.0")  # same module names, own code
        inst.install(str(write_app(tmp_path / "new", "one", version="2.0.0", word="hi")), upgrade=True, trust=True)
        c = await k.wait(await k.spawn("one", "x"), 30)
        assert c.result == "HI X! v2.0.0"  # the upgraded code, not the first version's cached modules

