"""A home that is a file, cannot be created or cannot be written gives every command one line naming the
path and the problem, never a traceback (tests run as root, so "unwritable" is a read-only kernel file system)."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmos.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]

# Each command with the arguments it needs to get past argparse to where it would touch the home.
ARGV = {
    "run": ["run", "assistant", "hi"], "boot": ["boot"], "halt": ["halt"], "status": ["status"],
    "apps": ["apps"], "install": ["install", "./nowhere"], "uninstall": ["uninstall", "x"],
    "ps": ["ps"], "kill": ["kill", "3"], "wait": ["wait", "3"], "logs": ["logs", "3"], "daemon": ["daemon"],
    "mem": ["mem", "list"], "sandbox": ["sandbox", "status"], "shell": ["shell"], "top": ["top"],
    "config": ["config", "show"], "mcp": ["mcp", "serve"], "rules": ["rules", "list"],
    "approvals": ["approvals"], "approve": ["approve", "a1"], "deny": ["deny", "a1"], "cp": ["cp", "3:a", "b"],
    "answer": ["answer", "q1", "yes"], "attach": ["attach", "3"], "exec": ["exec", "--", "true"],
    "eval": ["eval", "assistant", "math"],
}
EXEMPT = {"version", "new"}  # they never touch the home


def commands() -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_command_is_covered():
    assert commands() - EXEMPT == set(ARGV)


def bad_homes(tmp: Path) -> dict[str, tuple[Path, str]]:
    file = tmp / "home-file"
    file.write_text("not a folder")
    return {"a file": (file, "is not a folder"),
            "under a file": (file / "llmos", "cannot be created: a part of the path is a file"),
            "read-only": (Path("/sys"), "is not writable"),
            "cannot be made": (Path("/sys/llmos-home"), "cannot be created")}


def llmos(argv: list[str], home: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "LLMOS_HOME": str(home), "PYTHONPATH": str(ROOT), "LLMOS_MODEL": "scripted"}
    return subprocess.run([sys.executable, "-m", "llmos", *argv], env=env, capture_output=True, text=True,
                          timeout=60, cwd=str(cwd), stdin=subprocess.DEVNULL)


def one_line(r: subprocess.CompletedProcess, path: Path, why: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr + r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, r.stderr
    assert str(path) in lines[0] and why in lines[0], lines[0]


@pytest.mark.parametrize("cmd", sorted(ARGV))
def test_every_command_says_what_is_wrong_with_the_home(cmd, tmp_path):
    homes = list(bad_homes(tmp_path).values())
    path, why = homes[sorted(ARGV).index(cmd) % len(homes)]  # each kind of bad home across the commands
    one_line(llmos(ARGV[cmd], path, tmp_path), path, why)


@pytest.mark.parametrize("kind", ["a file", "under a file", "read-only", "cannot be made"])
def test_each_kind_of_bad_home(kind, tmp_path):
    path, why = bad_homes(tmp_path)[kind]
    for cmd in ("run", "boot", "ps"):
        one_line(llmos(ARGV[cmd], path, tmp_path), path, why)


def test_the_home_flag_is_named_when_it_is_the_bad_one(tmp_path):
    path, why = bad_homes(tmp_path)["a file"]
    r = llmos(["daemon", "--home", str(path)], tmp_path / "fine", tmp_path)
    one_line(r, path, why)
    assert "(from --home)" in r.stderr


def test_a_file_where_the_home_needs_a_folder_is_one_line_too(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "apps").write_text("in the way")  # the home is fine; a folder inside it is a file
    r = llmos(["install", str(ROOT / "apps" / "assistant")], home, tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and str(home / "apps") in lines[0], r.stderr


def test_commands_that_never_touch_the_home_still_work(tmp_path):
    path, _ = bad_homes(tmp_path)["a file"]
    assert llmos(["version"], path, tmp_path).returncode == 0
    r = llmos(["new", "hello"], path, tmp_path)
    assert r.returncode == 0 and (tmp_path / "hello" / "app.toml").is_file(), r.stderr
