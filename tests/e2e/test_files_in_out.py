"""Files into and out of a process: ``llmos run APP --file PATH[:NAME]`` (daemon and one-shot kernel) and
``llmos cp`` to and from ``PID:path``, each within the app's files scope, through the real CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

APP_TOML = """\
name = "filer"
entry = "main:run"
[permissions]
syscalls = ["fs.*", "llm.*"]
files = ["in/**", "out/**"]
"""
APP_CODE = """\
from syscalls.errors import NotFound


async def run(sys, task):
    if task.startswith("slow"):  # short generations until the person has copied the file in (60 s at most)
        for _ in range(300):
            try:
                await sys.fs.stat("in/data.txt")
                break
            except NotFound:
                await sys.llm.chat([{"role": "user", "content": task}], max_tokens=4)
    text = await sys.fs.read("in/data.txt")
    await sys.fs.write("out/result.txt", text.upper())
    return "read: " + text
"""
SLOW_MODEL = {"token_delay": 0.05, "rules": [{"when": "slow", "reply": "slow " * 300}], "default": "ok"}


@pytest.fixture
def filer(home, tmp_path):
    (home.path / "script.json").write_text(json.dumps(SLOW_MODEL))  # the scripted model's replies
    folder = tmp_path / "filer"
    folder.mkdir()
    (folder / "app.toml").write_text(APP_TOML)
    (folder / "main.py").write_text(APP_CODE)
    r = home.llmos("install", str(folder))
    assert r.returncode == 0, r.stderr
    data = tmp_path / "notes.txt"
    data.write_text("hello from the person")
    return home, data


def one_line_error(r, *needles: str) -> None:
    assert r.returncode != 0 and "Traceback" not in r.stderr, r.stderr
    line = r.stderr.strip().splitlines()[-1]
    assert all(n in line for n in needles), line


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon", "one-shot"])
def test_run_file_puts_it_in_the_workspace_before_the_process_starts(filer, daemon):
    home, data = filer
    if daemon:
        assert home.llmos("boot").returncode == 0
    r = home.llmos("run", "filer", "go", "--file", f"{data}:in/data.txt", "--json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    assert rec["result"] == "read: hello from the person"
    pid = rec["pid"]
    assert (home.path / "workspaces" / str(pid) / "in" / "data.txt").read_text() == "hello from the person"
    if daemon:  # the file the process wrote comes back out with cp, after it ended
        out = data.parent / "got.txt"
        r = home.llmos("cp", f"{pid}:out/result.txt", str(out))
        assert r.returncode == 0, r.stderr
        assert out.read_text() == "HELLO FROM THE PERSON"
        assert home.llmos("cp", f"{pid}:out/result.txt", "-").stdout == "HELLO FROM THE PERSON"


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon", "one-shot"])
def test_run_file_outside_the_apps_files_scope_is_refused_before_anything_runs(filer, daemon):
    home, data = filer
    if daemon:
        assert home.llmos("boot").returncode == 0
    r = home.llmos("run", "filer", "go", "--file", str(data))  # as notes.txt: not under in/ or out/
    one_line_error(r, "filer", "not granted files matching 'notes.txt'", "in/**, out/**")
    assert not list((home.path / "workspaces").glob("*/notes.txt"))
    r = home.llmos("run", "filer", "go", "--file", str(data.parent / "missing.txt"))
    one_line_error(r, "--file", "no such file")


def test_cp_into_a_running_process_and_out_again(filer):
    home, data = filer
    assert home.llmos("boot").returncode == 0
    r = home.llmos("run", "--detach", "filer", "slow: wait for the data")  # it waits for the file
    assert r.returncode == 0, r.stderr
    pid = int(r.stdout.strip())
    r = home.llmos("cp", str(data), f"{pid}:secret.txt")  # outside its scope
    one_line_error(r, "not granted files matching 'secret.txt'")
    r = home.llmos("cp", str(data), f"{pid}:../escape.txt")
    one_line_error(r, "'..' leaves the workspace")
    r = home.llmos("cp", str(data), f"{pid}:in/data.txt")
    assert r.returncode == 0 and f"to pid {pid}:in/data.txt" in r.stdout, r.stderr
    r = home.llmos("wait", str(pid), "--timeout", "60")
    assert r.returncode == 0 and r.stdout.strip() == "read: hello from the person", r.stderr
    dest = Path(data.parent / "outdir")
    dest.mkdir()
    r = home.llmos("cp", f"{pid}:out/result.txt", str(dest))  # into a folder: keeps the file's name
    assert r.returncode == 0, r.stderr
    assert (dest / "result.txt").read_text() == "HELLO FROM THE PERSON"
    one_line_error(home.llmos("cp", f"{pid}:out/nothing.txt", str(dest)), "no file 'out/nothing.txt'")
    one_line_error(home.llmos("cp", str(data), f"{pid}:in/late.txt"), f"process {pid} has already exited")
    one_line_error(home.llmos("cp", str(data), str(dest)), "one side is PID:path")
    one_line_error(home.llmos("cp", "99:in/x", str(dest)), "no process 99")


def test_cp_without_a_kernel_says_so(filer):
    home, data = filer
    one_line_error(home.llmos("cp", str(data), "3:in/data.txt"), "no kernel is running", "llmos boot")



def test_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "apps.md").read_text()
    assert "--file PATH[:NAME]" in doc and "llmos cp" in doc and "PID:path" in doc
