"""App folders the person tests install: one that asks, one whose delete needs approval, one that fails."""
from __future__ import annotations

from pathlib import Path

from tests.person.test_person_kernel import ASKER, BROKEN
from tests.rules.test_rules_live import DELETER

APPS = {"asker": (ASKER, ["user.*"]), "deleter": (DELETER, ["fs.*"]), "broken": (BROKEN, ["user.*"])}


def write(root: Path, name: str, code: str | None = None, syscalls: list[str] | None = None) -> Path:
    src, perms = APPS.get(name, ("", []))
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.toml").write_text(f'name = "{name}"\nversion = "0.1.0"\nentry = "main:run"\n\n'
                                     f'[permissions]\nsyscalls = {list(syscalls or perms)!r}\nfiles = ["*.txt"]\n'.replace("'", '"'))
    (folder / "main.py").write_text(code if code is not None else src)
    return folder


def install(home, root: Path, *names: str) -> None:
    for name in names:
        # trusted: these tests are about the person's answers, not isolation (tests/security has those)
        r = home.llmos("install", "--trust", str(write(root, name)))
        assert r.returncode == 0, r.stderr
