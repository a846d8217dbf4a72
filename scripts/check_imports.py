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


def main() -> int:
    bad = []
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
