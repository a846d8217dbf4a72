"""Installed and pip-provided apps run isolated unless the person trusts them at install; no grant means no files."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from apps import AppRegistry
from apps.installer import Installer
from apps.manifest import ManifestError, load_manifest, parse_manifest
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig, default_home
from llmos.cli import main

TOML = '''name = "{name}"
version = "1.0.0"
entry = "main:run"
'''
SNOOP = '''
import os

async def run(sys, task):
    out = {"pid": os.getpid(), "uid": os.getuid()}
    try:
        out["hostname"] = open("/etc/hostname").read()
    except OSError as exc:
        out["hostname"] = None
        out["hostname_error"] = type(exc).__name__
    try:
        with open(task, "w") as f:
            f.write("escaped")
        out["wrote"] = True
    except OSError:
        out["wrote"] = False
    try:
        await sys.fs.write("x.txt", "x")
        out["fs"] = "allowed"
    except Exception as exc:
        out["fs"] = getattr(exc, "code", type(exc).__name__)
    return out
'''


def _install(tmp_path: Path, name: str, *, trust: bool = False) -> None:
    src = tmp_path / "src" / name
    src.mkdir(parents=True)
    (src / "app.toml").write_text(TOML.format(name=name))
    (src / "main.py").write_text(SNOOP)
    Installer(default_home()).install(str(src), trust=trust)


async def _snoop(name: str, subsystems: list[str]) -> tuple[dict, Path]:
    marker = Path("/tmp") / f"llmos-escape-{uuid.uuid4().hex}"
    cfg = KernelConfig(home=str(default_home()), subsystems=subsystems)
    async with Kernel(cfg, engine=ScriptedEngine(default="ok")) as k:
        proc = await k.wait(await k.spawn(name, str(marker)), 120)
        assert proc.exit_reason == "exited", proc.error
    try:
        return json.loads(proc.result), marker
    finally:
        marker.unlink(missing_ok=True)


def _host_hostname() -> str:
    return Path("/etc/hostname").read_text()


@pytest.mark.anyio
async def test_an_untrusted_app_without_docker_runs_jailed(tmp_path):
    _install(tmp_path, "snoop")
    res, marker = await _snoop("snoop", [])  # no sandbox attached: a jailed process
    assert res["hostname"] is None and res["hostname_error"] == "FileNotFoundError"  # no host /etc in its jail
    assert not marker.exists()  # it may write its own private /tmp, never the host's
    assert res["pid"] != os.getpid()
    assert res["uid"] != 0
    assert res["fs"] == "permission"  # no [permissions] files: no file scope at all


@pytest.mark.anyio
@pytest.mark.docker
async def test_an_untrusted_app_gets_a_container_when_docker_is_there(tmp_path, sb):
    _install(tmp_path, "boxed")
    res, marker = await _snoop("boxed", ["sandbox"])
    assert res["hostname"] != _host_hostname()  # the container's own, not the host's
    assert not marker.exists()
    assert res["uid"] == 1000 and res["pid"] != os.getpid()


@pytest.mark.anyio
async def test_a_trusted_app_runs_in_the_kernel(tmp_path):
    _install(tmp_path, "mine", trust=True)
    res, _ = await _snoop("mine", [])
    assert res["pid"] == os.getpid()  # inside the kernel, by the person's decision


def test_apps_show_says_where_the_code_runs(tmp_path, capsys):
    _install(tmp_path, "shown")
    _install(tmp_path, "vouched", trust=True)
    assert main(["apps", "show", "shown"]) == 0
    out = capsys.readouterr().out
    assert "not trusted" in out and "runs: isolated (not trusted)" in out
    assert main(["apps", "show", "vouched"]) == 0
    out = capsys.readouterr().out
    assert "trusted (--trust)" in out and "runs: inside the kernel" in out


def test_install_trust_is_recorded_and_can_be_changed(tmp_path, capsys):
    src = tmp_path / "src" / "flip"
    src.mkdir(parents=True)
    (src / "app.toml").write_text(TOML.format(name="flip"))
    (src / "main.py").write_text(SNOOP)
    assert main(["install", "--trust", str(src)]) == 0
    assert "runs: inside the kernel" in capsys.readouterr().out
    record = default_home() / "apps" / "flip" / ".llmos-install.json"
    assert json.loads(record.read_text())["trusted"] is True
    assert main(["install", str(src)]) == 0  # the same app again, without --trust: trust withdrawn
    assert "runs: isolated" in capsys.readouterr().out
    assert json.loads(record.read_text())["trusted"] is False


def test_trust_follows_the_manifest_it_was_given_to(tmp_path):
    _install(tmp_path, "edited", trust=True)
    assert AppRegistry(installed_dir=default_home() / "apps").get("edited").trusted
    toml = default_home() / "apps" / "edited" / "app.toml"
    toml.write_text(toml.read_text() + 'description = "changed after install"\n')
    assert not AppRegistry(installed_dir=default_home() / "apps").get("edited").trusted


def test_an_app_cannot_declare_itself_trusted(tmp_path):
    with pytest.raises(ManifestError, match="trusted"):
        parse_manifest('name = "sly"\nentry = "main:run"\ntrusted = true\n')


def test_bundled_and_package_apps(tmp_path, monkeypatch):
    import apps.registry as registry
    folder = tmp_path / "pkg" / "fromwheel"
    folder.mkdir(parents=True)
    (folder / "app.toml").write_text(TOML.format(name="fromwheel"))
    (folder / "main.py").write_text(SNOOP)
    monkeypatch.setattr(registry, "_entry_folders", lambda: ([folder], []))
    found = AppRegistry(installed_dir=tmp_path / "none").all()
    assert found["fromwheel"].trusted is False  # a pip package's app: isolated by default
    assert found["manager"].trusted is True  # bundled apps may run in the kernel


def test_a_manifest_without_files_has_no_file_scope(tmp_path):
    folder = tmp_path / "nofiles"
    folder.mkdir()
    (folder / "app.toml").write_text(TOML.format(name="nofiles"))
    (folder / "main.py").write_text(SNOOP)
    assert load_manifest(folder).permissions.files == []
