"""Apps: the app format (manifest, registry) and the bundled apps, one folder each.

This package's format modules depend on nothing but the standard library and msgspec;
bundled Python apps import only ``syscalls``.
"""
from .manifest import Budgets, Manifest, ManifestError, Permissions, load_manifest
from .registry import AppRegistry

__all__ = ["AppRegistry", "Budgets", "Manifest", "ManifestError", "Permissions", "load_manifest"]
# ``apps.installer`` (install, upgrade, uninstall) and ``apps.scaffold`` (``llmos new``) are imported
# where they are used, so that loading a manifest stays cheap.
