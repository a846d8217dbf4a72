"""Installing apps under the llmos home: from a folder, a wheel or a pip name; upgrade and uninstall.

An installed app is a copy of its folder in ``<home>/apps/<name>/`` plus ``.llmos-install.json``
(its source, the sha256 of its ``app.toml`` and when it was installed).  Its Python dependencies
go into ``<home>/apps/<name>/.deps`` with ``pip install --target``: never into the kernel's
environment.  A wheel or pip package provides its app through the ``llmos.apps`` entry-point
group (``name = "package.module"``, the module sitting beside its ``app.toml``).
"""
from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import msgspec

from . import entrycheck
from .manifest import Manifest, ManifestError, load_manifest
from .registry import BUNDLED, ENTRY_GROUP, RECORD, trusted_install

DEPS = ".deps"
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".git", DEPS, RECORD, ".pytest_cache")

class InstallError(Exception):
    """Installing or removing an app failed; the message says why and what to do."""

class Installed(msgspec.Struct, kw_only=True):
    name: str
    version: str
    digest: str
    source: str
    installed_at: float
    folder: str
    dependencies: list[str] = []
    replaced: str = ""  # the version an upgrade replaced
    trusted: bool = False  # installed with --trust: its code may run inside the kernel


def pip_run(args: list[str]) -> None:
    """Run pip in a subprocess (the kernel's interpreter, but ``--target`` keeps it out of site-packages)."""
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, env={**os.environ, "PIP_NO_COLOR": "1"})
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        raise InstallError("pip failed: " + " | ".join(tail))

class Installer:
    def __init__(self, home: str | Path, *, pip_options: Iterable[str] = ()):
        self.root = Path(home) / "apps"
        self.pip_options = list(pip_options)  # e.g. ["--no-index", "--find-links", DIR]

    # -- queries ---------------------------------------------------------------------------------
    def installed(self) -> dict[str, Installed]:
        out = {}
        if self.root.is_dir():
            for rec in sorted(self.root.glob(f"*/{RECORD}")):
                try:
                    out[rec.parent.name] = msgspec.json.decode(rec.read_bytes(), type=Installed)
                except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                    continue
        return out

    def record(self, name: str) -> Installed | None:
        return self.installed().get(name)

    # -- install ---------------------------------------------------------------------------------
    def install(self, source: str, *, upgrade: bool = False, trust: bool = False) -> tuple[Manifest, Installed]:
        """Install from a folder holding ``app.toml``, a ``.whl`` file, or a pip requirement.
        ``trust``: the person lets its code run inside the kernel; without it the code runs
        isolated (a container, or a jailed process under its own uid).  Each install records
        the decision anew, so installing the same app again with or without it changes only that."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".staging-", dir=self.root) as tmp:
            staging = Path(tmp)
            path = Path(source).expanduser()
            if not path.exists() and looks_like_path(source):
                raise InstallError(f"{source}: no such file or folder (a folder with app.toml, a .whl file, "
                                   "or a pip requirement such as 'my-app==1.0')")
            if path.is_dir():
                manifest, app_dir, deps_dir = load_manifest(path), path, None
            else:
                if source.endswith(".whl") and not path.is_file():
                    raise InstallError(f"{source}: no such wheel file")
                manifest, app_dir, deps_dir = self._from_pip(str(path.resolve()) if path.is_file() else source,
                                                             staging)
            return self._place(manifest, app_dir, deps_dir, source, upgrade, staging, trust)

    def _from_pip(self, requirement: str, staging: Path) -> tuple[Manifest, Path, Path]:
        deps = staging / "deps"
        pip_run(["install", "--quiet", "--target", str(deps), *self.pip_options, requirement])
        folders = _entry_point_folders(deps)
        if not folders:
            raise InstallError(f"{requirement}: the package declares no app (entry-point group '{ENTRY_GROUP}')")
        if len(folders) > 1:
            raise InstallError(f"{requirement}: the package declares {len(folders)} apps; install them one by one "
                               "from their folders")
        return load_manifest(folders[0]), folders[0], deps

    def _place(self, m: Manifest, app_dir: Path, deps_dir: Path | None, source: str, upgrade: bool,
               staging: Path, trust: bool) -> tuple[Manifest, Installed]:
        dest = self.root / m.name
        old = self.record(m.name)
        replaced = ""
        if old is not None:
            if old.digest == m.digest and not upgrade:  # the same app again: only the trust decision changes
                if old.trusted != trust:
                    old = msgspec.structs.replace(old, trusted=trust)
                    tmp = dest / f"{RECORD}.new"
                    tmp.write_bytes(msgspec.json.encode(old))
                    tmp.replace(dest / RECORD)
                return self._loaded(dest), old
            if not upgrade:
                raise InstallError(f"an app named '{m.name}' (version {old.version}, from {old.source}) is already "
                                   "installed and differs from this one; use --upgrade to replace it")
            replaced = old.version
        elif dest.exists():
            raise InstallError(f"{dest} exists but is not an installed app; move it away first")
        elif (BUNDLED / m.name / "app.toml").is_file() and not upgrade:
            raise InstallError(f"'{m.name}' is a bundled app; use --upgrade to install your own over it")
        new = staging / "app"
        shutil.copytree(app_dir, new, ignore=IGNORE, symlinks=False)
        if deps_dir is not None:
            shutil.move(str(deps_dir), new / DEPS)
        elif m.dependencies:
            pip_run(["install", "--quiet", "--target", str(new / DEPS), *self.pip_options, *m.dependencies])
        check = load_manifest(new)  # what will run is what was validated
        broken = entrycheck.problem(check, new)  # a syntax error is refused now, not at its first run
        if broken:
            raise InstallError(broken)
        rec = Installed(name=m.name, version=m.version, digest=check.digest, source=source,
                        installed_at=time.time(), folder=str(dest), dependencies=list(m.dependencies),
                        replaced=replaced, trusted=trust)
        (new / RECORD).write_bytes(msgspec.json.encode(rec))
        if dest.exists():
            old_dir = staging / "old"
            dest.rename(old_dir)  # swapped out in one rename, removed with the staging folder
        new.rename(dest)
        return self._loaded(dest), rec

    @staticmethod
    def _loaded(dest: Path) -> Manifest:
        m = load_manifest(dest)
        m.trusted = trusted_install(dest, m)
        return m

    # -- uninstall -------------------------------------------------------------------------------
    def uninstall(self, name: str) -> Installed:
        rec = self.record(name)
        if rec is None:
            if (BUNDLED / name / "app.toml").is_file():
                raise InstallError(f"'{name}' is bundled with llmos and cannot be uninstalled")
            raise InstallError(f"no installed app named '{name}'; `llmos apps` lists them")
        dest = self.root / name
        trash = self.root / f".removing-{name}-{os.getpid()}"
        dest.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
        return rec

class _CasedConfig(configparser.ConfigParser):
    """A parser that keeps the case of names (entry point names are case-sensitive)."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _entry_point_folders(target: Path) -> list[Path]:
    """The app folders the ``llmos.apps`` entry points of the packages in ``target`` name."""
    out = []
    for ep_file in sorted(target.glob("*.dist-info/entry_points.txt")):
        cp = _CasedConfig()
        try:
            cp.read(ep_file, encoding="utf-8")
        except configparser.Error as exc:
            raise InstallError(f"{ep_file.name}: {exc}") from None
        if not cp.has_section(ENTRY_GROUP):
            continue
        for _name, value in cp.items(ENTRY_GROUP):
            module = value.split(":")[0].strip()
            base = target.joinpath(*module.split("."))
            folder = base if base.is_dir() else base.parent
            if not (folder / "app.toml").is_file():
                raise InstallError(f"entry point {value!r} names {module}, which has no app.toml beside it")
            out.append(folder)
    return out

def describe(m: Manifest) -> list[str]:
    """The permissions and budgets an app asks for, as lines a person reads before trusting it."""
    p, lines = m.permissions, []
    lines.append(f"  syscalls: {', '.join(p.syscalls) or '(none)'}")
    for field in ("tools", "files", "browser", "memory", "spawn"):
        values = getattr(p, field)
        if values:
            lines.append(f"  {field}: {', '.join(values)}")
    budgets = {k: v for k, v in msgspec.structs.asdict(m.budgets).items() if v is not None}
    if budgets:
        lines.append("  budgets: " + ", ".join(f"{k}={v:g}" for k, v in budgets.items()))
    lines.append(f"  runs: {runs(m)}")
    if m.dependencies:
        lines.append(f"  dependencies (app-private): {', '.join(m.dependencies)}")
    return lines


def runs(m: Manifest) -> str:
    """Where the app's code runs, as a person reads it (the trust decision included)."""
    if m.is_prompt:
        return "in the kernel's agent loop (a prompt app: no code of its own)"
    if m.trusted:
        if m.isolation == "kernel":
            return "inside the kernel (trusted: bundled, or installed with --trust)"
        return f"isolated ({m.isolation}), as its manifest asks (trusted)"
    return ("isolated (not trusted): in a container when a Docker engine is there, otherwise a jailed process "
            "under its own unprivileged uid; `llmos install --trust` lets it run inside the kernel")


def manifest_json(m: Manifest) -> str:
    return json.dumps(msgspec.to_builtins(m), indent=2)


def looks_like_path(source: str) -> bool:
    """A source meant as a file or folder, not a pip requirement: it has a path separator (and is no URL),
    starts with ``.`` or ``~``, or names a wheel or an archive.  pip would only call it an invalid requirement."""
    if "://" in source or source.startswith("git+"):
        return False
    return ("/" in source or "\\" in source or source.startswith((".", "~"))
            or source.endswith((".whl", ".tar.gz", ".zip")))

__all__ = ["InstallError", "Installed", "Installer", "ManifestError", "describe", "manifest_json", "runs"]
