"""Install-time check that an app's code would import: every .py file compiles and the entry function exists.

The code is parsed, never run (an app may be untrusted and meant for a container), so this finds
syntax errors and a missing entry function; an import that fails only when run is reported when
the process starts (its exit line says why).
"""
from __future__ import annotations

import ast
from pathlib import Path

from .manifest import Manifest

SKIP = {".deps", "__pycache__", ".git", ".pytest_cache"}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if not SKIP & set(p.relative_to(folder).parts))


def _defines(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if any((a.asname or a.name.split(".")[0]) == name for a in node.names):
                return True
    return False


def problem(m: Manifest, folder: str | Path) -> str:
    """'' when the app's code parses and defines its entry; otherwise one line saying what is wrong."""
    if m.is_prompt:
        return ""
    folder = Path(folder)
    trees: dict[Path, ast.Module] = {}
    for f in _files(folder):
        try:
            trees[f] = ast.parse(f.read_bytes(), filename=str(f))
        except SyntaxError as exc:
            where = f"{f.relative_to(folder)}, line {exc.lineno}" if exc.lineno else str(f.relative_to(folder))
            return f"the app's code does not import: {where}: {exc.msg}"
        except (OSError, ValueError) as exc:
            return f"the app's code does not import: {f.relative_to(folder)}: {exc}"
    module, func = m.entry.split(":")
    rel = Path(*module.split("."))
    entry = next((p for p in (folder / rel.with_suffix(".py"), folder / rel / "__init__.py") if p in trees), None)
    if entry is not None and not _defines(trees[entry], func):
        return f"the app's entry {m.entry!r} names no function {func!r} in {entry.relative_to(folder)}"
    return ""
