"""Finds apps: bundled ones beside this file, installed ones under the llmos home, and entry points.

It also says which of them the person trusts to run inside the kernel (``Manifest.trusted``):
bundled apps, folders the caller names itself (``extra_dirs``), and installed apps whose install
record says ``--trust`` for the very ``app.toml`` now on disk.  Apps from pip packages and every
other installed app are untrusted: their code runs isolated (kernel/proc/runner.py)."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from .manifest import Manifest, ManifestError, load_manifest

BUNDLED = Path(__file__).resolve().parent
ENTRY_GROUP = "llmos.apps"
RECORD = ".llmos-install.json"  # an installed app's record (apps/installer.py)
ENTRY_TTL = 10.0  # seconds an entry-point scan is reused: scanning every installed distribution
                  # on each spawn cost ~0.1 s a spawn (measured by `make bench`)
_entry_cache: tuple[float, list[Path], list[str], tuple] | None = None


def _site_stamp() -> tuple:
    """Changes when a package is installed or removed (its folder's mtime), so a fresh install shows at once."""
    out = []
    for entry in sys.path:
        try:
            out.append(os.stat(entry or ".").st_mtime_ns)
        except OSError:
            out.append(0)
    return tuple(out)


def _entry_folders() -> tuple[list[Path], list[str]]:
    """Folders of apps from pip packages (the ``llmos.apps`` entry-point group), located beside
    their module without running it; a broken package must not hide the others."""
    global _entry_cache
    now = time.monotonic()
    if _entry_cache is None or now - _entry_cache[0] > ENTRY_TTL or _entry_cache[3] != _site_stamp():
        folders, errors = [], []
        for ep in metadata.entry_points(group=ENTRY_GROUP):
            try:
                spec = importlib.util.find_spec(ep.module)
            except (ImportError, ValueError) as exc:
                errors.append(f"entry point {ep.name} = {ep.value}: {exc}")
                continue
            if spec is None or not spec.origin:
                errors.append(f"entry point {ep.name} = {ep.value}: module not found")
                continue
            folders.append(Path(spec.origin).resolve().parent)
        _entry_cache = (now, folders, errors, _site_stamp())
    return list(_entry_cache[1]), list(_entry_cache[2])


class AppRegistry:
    def __init__(self, installed_dir: str | Path | None = None, extra_dirs: Iterable[str | Path] = ()):
        self.installed_dir = Path(installed_dir) if installed_dir else None
        self.extra_dirs = [Path(d) for d in extra_dirs]
        self.errors: list[str] = []  # manifests that failed to load, with why

    def _folders(self) -> list[tuple[Path, str]]:
        """(folder, source) in override order; source is bundled, extra, installed or package."""
        folders = [(p, "bundled") for p in sorted(BUNDLED.iterdir()) if (p / "app.toml").is_file()]
        for base, source in [*((d, "extra") for d in self.extra_dirs), (self.installed_dir, "installed")]:
            if base and base.is_dir():
                folders += [(p, source) for p in sorted(base.iterdir())
                            if not p.name.startswith(".") and (p / "app.toml").is_file()]
        eps, errors = _entry_folders()
        self.errors += errors
        return folders + [(p, "package") for p in eps]

    def all(self) -> dict[str, Manifest]:
        apps: dict[str, Manifest] = {}
        self.errors = []
        for folder, source in self._folders():
            try:
                m = load_manifest(folder)
            except ManifestError as exc:
                self.errors.append(str(exc))
                continue
            m.trusted = source in ("bundled", "extra") or (source == "installed" and trusted_install(folder, m))
            apps[m.name] = m  # later sources (installed) override bundled ones
        return apps

    def get(self, name: str) -> Manifest:
        apps = self.all()
        if name not in apps:
            raise KeyError(name)
        return apps[name]

    def not_found(self, name: str) -> str:
        """What to tell a person who asked for ``name`` and got no app: why its manifest did not load, when
        the folder of that name holds one that failed (a typo in app.toml is not "no such app")."""
        why = next((e for e in self.errors if f"/{name}/app.toml" in e.replace("\\", "/")), None)
        if why is not None:
            return f"app {name!r} did not load: {why}"
        return f"no app named {name!r}; `llmos apps` lists the installed ones"


def trusted_install(folder: Path, m: Manifest) -> bool:
    """Whether the person installed this app with ``--trust``, and its app.toml is still the one trusted."""
    try:
        rec = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(rec, dict) and rec.get("trusted") is True and rec.get("digest") == m.digest
