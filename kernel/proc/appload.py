"""Loading an app's Python entry: bundled apps import as ``apps.<name>``; an installed app's folder is a
package of its own, under a name unique to its code, so relative imports work and two apps (or two
versions of one) never share a module."""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast

from apps.manifest import Manifest
from syscalls.errors import Unavailable

BUNDLED = Path(__file__).resolve().parents[2] / "apps"
SKIP = {".deps", "__pycache__", ".git"}


def code_tag(folder: Path) -> str:
    """A digest of every Python file in the app's folder (names and bytes): a changed file, another package."""
    h = hashlib.sha256(str(folder.resolve()).encode())
    for f in sorted(folder.rglob("*.py")):
        rel = f.relative_to(folder)
        if SKIP & set(rel.parts):
            continue
        h.update(str(rel).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def package_for(manifest: Manifest) -> str:
    """Import the app's folder as a package (once per exact code) and return its name."""
    folder = Path(manifest.path)
    try:
        tag = code_tag(folder)
    except OSError as exc:
        raise Unavailable(f"app '{manifest.name}': cannot read its code: {exc}") from None
    name = f"llmos_app_{manifest.name}_{tag}".replace(".", "_").replace("-", "_")
    if name in sys.modules:
        return name
    deps = folder / ".deps"  # the app's own pip packages (``llmos install``), after the kernel's
    if deps.is_dir() and str(deps) not in sys.path:
        sys.path.append(str(deps))
    init = folder / "__init__.py"
    if init.is_file():
        spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(folder)])
    else:  # a folder without __init__.py: a package with no code of its own
        spec = importlib.util.spec_from_loader(name, loader=None, is_package=True)
        if spec is not None:
            spec.submodule_search_locations = [str(folder)]
    if spec is None:
        raise Unavailable(f"app '{manifest.name}': cannot load its folder {folder} as a package")
    pkg = importlib.util.module_from_spec(spec)
    sys.modules[name] = pkg
    try:
        if spec.loader is not None:
            spec.loader.exec_module(pkg)
    except BaseException:
        sys.modules.pop(name, None)  # a broken package is not cached
        raise
    return name


def load_entry(manifest: Manifest) -> Callable[..., Awaitable[Any]]:
    """Import ``module:function`` from the app's folder."""
    module_name, func = manifest.entry.split(":")
    folder = Path(manifest.path).resolve()
    if folder.parent == BUNDLED:
        mod = importlib.import_module(f"apps.{folder.name}.{module_name}")
    else:
        pkg = package_for(manifest)
        full = f"{pkg}.{module_name}"
        try:
            mod = importlib.import_module(full)
        except ModuleNotFoundError as exc:
            if exc.name is None or not full.startswith(exc.name):
                raise  # the app's own import of something missing: its error, as it is
            raise Unavailable(f"app '{manifest.name}': cannot read module {module_name!r}: no such file") from None
    fn = getattr(mod, func, None)  # probe: the manifest names the entry function as text
    if not callable(fn):
        raise Unavailable(f"app '{manifest.name}': entry {manifest.entry!r} names no function in {module_name}")
    return cast(Callable[..., Awaitable[Any]], fn)
