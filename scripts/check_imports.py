"""Check that imports flow one way: llmos -> kernel -> drivers, sandbox, syscalls; apps -> syscalls."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

FORBIDDEN = {
    "drivers": {"kernel", "llmos", "apps"},
    "sandbox": {"kernel", "llmos", "apps"},
    "syscalls": {"kernel", "llmos", "drivers", "sandbox", "apps"},
    "kernel": {"llmos"},
}
APP_ALLOWED = {"syscalls"}
LOCAL = {"kernel", "llmos", "drivers", "sandbox", "syscalls", "apps"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
    return out


# kernel/ has one folder per subsystem; they sit below the kernel object and its API.  At import time a
# subsystem never loads kernel.kernel or kernel.api (type hints go under TYPE_CHECKING; the few calls up
# into the API import inside the function that makes them), so any subsystem can be loaded and tested alone.
SUBSYSTEMS = {"proc", "sched", "syscall", "memory", "rules", "sandbox", "browser", "agent", "reliability"}
ABOVE_SUBSYSTEMS = ("kernel.kernel", "kernel.api")


def load_time_imports(path: Path) -> set[str]:
    """Modules a file imports when it is loaded: its top-level import statements (not TYPE_CHECKING's)."""
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def subsystem_violations() -> list[str]:
    bad = []
    for sub in sorted(SUBSYSTEMS):
        for f in Path("kernel", sub).rglob("*.py"):
            hit = sorted(m for m in load_time_imports(f) if m.startswith(ABOVE_SUBSYSTEMS))
            if hit:
                bad.append(f"{f}: the {sub} subsystem imports {', '.join(hit)} at load time; "
                           "subsystems sit below the kernel object and its API")
    missing = sorted(SUBSYSTEMS - {p.name for p in Path("kernel").iterdir() if (p / "__init__.py").is_file()})
    bad += [f"kernel/{m}: a subsystem folder is missing" for m in missing]
    return bad


def main() -> int:
    bad = subsystem_violations()
    for pkg, banned in FORBIDDEN.items():
        for f in Path(pkg).rglob("*.py"):
            hit = imports(f) & banned
            if hit:
                bad.append(f"{f}: imports {', '.join(sorted(hit))}")
    for f in Path("apps").rglob("*.py"):
        if f.parent == Path("apps"):
            continue  # the app format itself (manifest, registry) is stdlib + msgspec
        hit = (imports(f) & LOCAL) - APP_ALLOWED
        if hit:
            bad.append(f"{f}: an app imports {', '.join(sorted(hit))}; apps use syscalls only")
    print("\n".join(bad) or "imports flow one way")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
