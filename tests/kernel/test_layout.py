"""The kernel's layout holds: imports flow one way and subsystems never load the kernel object or its API."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "check_imports.py"


def check(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK)], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_tree_as_it_is_passes():
    r = check(ROOT)
    assert r.returncode == 0, r.stdout


def copy_tree(tmp: Path) -> Path:
    for top in ("kernel", "drivers", "sandbox", "syscalls", "apps", "llmos"):
        for f in (ROOT / top).rglob("*.py"):
            dst = tmp / f.relative_to(ROOT)
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(f.read_bytes())
    return tmp


def test_a_subsystem_loading_the_kernel_object_is_caught(tmp_path):
    tree = copy_tree(tmp_path)
    f = tree / "kernel" / "sched" / "deadline.py"
    f.write_text(f.read_text() + "\nfrom kernel.kernel import Kernel  # noqa\n")
    r = check(tree)
    assert r.returncode == 1 and "kernel/sched/deadline.py: the sched subsystem imports kernel.kernel" in r.stdout


def test_a_type_only_import_is_allowed_and_a_driver_importing_the_kernel_is_not(tmp_path):
    tree = copy_tree(tmp_path)
    f = tree / "kernel" / "memory" / "page.py"
    f.write_text(f.read_text() + "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kernel.kernel import Kernel\n")
    assert check(tree).returncode == 0
    g = tree / "drivers" / "errors.py"
    g.write_text(g.read_text() + "\nimport kernel\n")
    r = check(tree)
    assert r.returncode == 1 and f"drivers{os.sep}errors.py: imports kernel" in r.stdout
