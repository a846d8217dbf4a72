"""llmos install / uninstall / apps / new: folders, wheels with app-private dependencies, upgrades."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from apps.installer import Installer, InstallError
from kernel import default_home
from llmos.cli import main

from .wheels import build_wheel

ROOT = Path(__file__).resolve().parents[2]
TOML = '''name = "{name}"
version = "{version}"
description = "a test app"
entry = "main:run"

[permissions]
syscalls = ["fs.write", "tool.call", "tool.list"]
tools = ["calculator"]
files = ["out/*"]
'''


def app_folder(root: Path, name="probe", version="1.0.0", code="async def run(sys, task):\n    return 'v1'\n"):
    folder = root / f"{name}-{version}"
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text(TOML.format(name=name, version=version))
    (folder / "main.py").write_text(code)
    return folder


def test_install_upgrade_uninstall_from_a_folder(tmp_path, capsys):
    v1 = app_folder(tmp_path / "src")
    assert main(["install", str(v1)]) == 0
    out = capsys.readouterr().out
    assert "installed probe 1.0.0" in out and "syscalls: fs.write, tool.call, tool.list" in out
    assert "tools: calculator" in out and "files: out/*" in out  # the permissions asked, shown
    dest = default_home() / "apps" / "probe"
    rec = json.loads((dest / ".llmos-install.json").read_text())
    assert rec["digest"] == __import__("hashlib").sha256((v1 / "app.toml").read_bytes()).hexdigest()
    assert (dest / "main.py").read_text() == (v1 / "main.py").read_text()

    assert main(["install", str(v1)]) == 0  # the very same app again: nothing to do
    v2 = app_folder(tmp_path / "src", version="2.0.0", code="async def run(sys, task):\n    return 'v2'\n")
    assert main(["install", str(v2)]) == 1
    assert "already installed and differs" in capsys.readouterr().err
    assert "version = \"1.0.0\"" in (dest / "app.toml").read_text()  # untouched by the refusal
    assert main(["install", "--upgrade", str(v2)]) == 0
    assert "upgraded from 1.0.0 to probe 2.0.0" in capsys.readouterr().out
    assert "return 'v2'" in (dest / "main.py").read_text()

    assert main(["apps"]) == 0
    listing = capsys.readouterr().out
    assert "probe" in listing and "installed" in listing and "manager" in listing
    assert main(["apps", "show", "probe"]) == 0
    shown = capsys.readouterr().out
    assert "installed from" in shown and "tools: calculator" in shown

    assert main(["uninstall", "probe"]) == 0
    assert not dest.exists() and "probe" not in Installer(default_home()).installed()
    assert main(["uninstall", "probe"]) == 1 and "no installed app" in capsys.readouterr().err
    assert main(["uninstall", "manager"]) == 1 and "bundled" in capsys.readouterr().err


def test_bad_folder_and_bundled_names_are_refused(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "app.toml").write_text('name = "bad"\nentry = "nowhere:run"\n')
    assert main(["install", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "app.toml" in err and "key 'entry'" in err
    clash = app_folder(tmp_path, name="manager")
    with pytest.raises(InstallError, match="bundled app"):
        Installer(default_home()).install(str(clash))
    assert not (default_home() / "apps" / "manager").exists()
    assert main(["install", str(tmp_path / "nothing.whl")]) == 1


def test_wheel_with_entry_point_and_private_dependency(tmp_path):
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinydep", "1.0", {"tinydep.py": "VALUE = 42\n"})
    whl = build_wheel(wheels, "hello_app", "0.3", {
        "hello_app/__init__.py": "",
        "hello_app/app.toml": TOML.format(name="hello", version="0.3"),
        "hello_app/main.py": "import tinydep\n\nasync def run(sys, task):\n    return str(tinydep.VALUE)\n",
    }, requires=["tinydep==1.0"], entry_points={"hello": "hello_app.main"})
    inst = Installer(default_home(), pip_options=["--no-index", "--find-links", str(wheels)])
    m, rec = inst.install(str(whl))
    dest = default_home() / "apps" / "hello"
    assert (m.name, rec.version, rec.source) == ("hello", "0.3", str(whl))
    assert (dest / "main.py").is_file() and (dest / ".deps" / "tinydep.py").is_file()
    # the dependency went to the app's own folder, not into the kernel's environment
    probe = subprocess.run([sys.executable, "-c", "import importlib.util as u; print(u.find_spec('tinydep'))"],
                           check=False, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    assert probe.stdout.strip() == "None"

    import anyio

    from drivers.llm import ScriptedEngine
    from kernel import Kernel, KernelConfig

    async def go():
        async with Kernel(KernelConfig(home=str(default_home()), subsystems=[]), engine=ScriptedEngine()) as k:
            return await k.wait(await k.spawn("hello"), 10)
    proc = anyio.run(go)
    assert (proc.exit_reason, proc.result) == ("exited", "42"), proc.error


def test_a_pip_name_that_does_not_exist_fails_cleanly(capsys):
    assert main(["install", "--no-index", "no-such-llmos-app-xyz"]) == 1
    assert "pip failed" in capsys.readouterr().err
    assert not [p for p in (default_home() / "apps").iterdir() if p.name.startswith(".staging")]


def test_new_scaffolds_an_app_whose_own_test_passes(tmp_path, capsys):
    assert main(["new", "hello-world", "--dir", str(tmp_path)]) == 0
    folder = tmp_path / "hello-world"
    assert {p.name for p in folder.iterdir()} >= {"app.toml", "main.py", "test_app.py"}
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                         check=False, capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed" in res.stdout
    assert main(["install", str(folder)]) == 0
    assert main(["new", "hello-world", "--dir", str(tmp_path)]) == 1
    assert main(["new", "Bad Name", "--dir", str(tmp_path)]) == 1


def test_apps_from_pip_packages_in_the_environment(tmp_path, monkeypatch, capsys):
    import zipfile

    from apps import AppRegistry
    whl = build_wheel(tmp_path / "wheels", "pkg_app", "1.0", {
        "pkg_app/__init__.py": "",
        "pkg_app/app.toml": TOML.format(name="pkgapp", version="1.0"),
        "pkg_app/main.py": "async def run(sys, task):\n    return 'from a package'\n",
    }, entry_points={"pkgapp": "pkg_app.main"})
    site = tmp_path / "site"
    zipfile.ZipFile(whl).extractall(site)  # what pip would lay out in a site-packages folder
    monkeypatch.syspath_prepend(str(site))
    apps = AppRegistry().all()
    assert apps["pkgapp"].version == "1.0" and apps["pkgapp"].path == str(site / "pkg_app")
    assert main(["apps"]) == 0
    assert any(line.split()[:3] == ["pkgapp", "1.0", "package"] for line in capsys.readouterr().out.splitlines())


@pytest.mark.docker
def test_an_untrusted_wheel_app_runs_in_a_container_with_its_private_dependency(tmp_path):
    from tests.conftest import require

    from .sandbox_support import docker_ready
    require(docker_ready(), "Docker with the llmos sandbox image")
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "tinydep", "1.0", {"tinydep.py": "VALUE = 42\n"})
    whl = build_wheel(wheels, "boxed_app", "0.1", {
        "boxed_app/__init__.py": "",
        "boxed_app/app.toml": TOML.format(name="boxed", version="0.1"),
        "boxed_app/main.py": "import os, tinydep\n\nasync def run(sys, task):\n"
                             "    return f'{tinydep.VALUE} {os.getuid()} {os.getcwd()}'\n",
    }, requires=["tinydep==1.0"], entry_points={"boxed": "boxed_app.main"})
    Installer(default_home(), pip_options=["--no-index", "--find-links", str(wheels)]).install(str(whl))

    import anyio

    from drivers.llm import ScriptedEngine
    from kernel import Kernel, KernelConfig

    async def go():
        cfg = KernelConfig(home=str(default_home()), subsystems=["sandbox"])
        async with Kernel(cfg, engine=ScriptedEngine()) as k:
            return await k.wait(await k.spawn("boxed"), 120)
    proc = anyio.run(go)
    assert (proc.exit_reason, proc.result) == ("exited", "42 1000 /work"), proc.error  # in the sandbox's container


@pytest.mark.parametrize("source", ["/nonexistent", "./not-here", "~/no-such-app", "apps/missing", "gone.whl",
                                    "missing-1.0.tar.gz"])
def test_a_path_that_does_not_exist_is_named_as_such_not_passed_to_pip(tmp_path, capsys, monkeypatch, source):
    with pytest.raises(InstallError, match="no such file or folder") as err:
        Installer(tmp_path / "home").install(source)
    assert "Invalid requirement" not in str(err.value) and source in str(err.value)
    monkeypatch.setenv("LLMOS_HOME", str(tmp_path / "home"))
    assert main(["install", source]) == 1
    err_line = capsys.readouterr().err.strip()
    assert err_line.startswith(f"llmos: install failed: {source}: no such file or folder") and "\n" not in err_line
