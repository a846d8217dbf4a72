"""The person's tools on a real daemon: `llmos approvals/approve/deny`, `llmos rules check/list/explain`."""
from __future__ import annotations

import re
import time

import pytest

from llmos.cli import main
from tests.daemon.harness import Home
from tests.rules.test_rules_live import DELETER

BROKEN = '[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.read"]\nargs.path = { glob = 5 }\n'
MINE = ('[[rule]]\nid = "me.bank-never"\neffect = "deny"\nmatch = ["browser.*"]\n'
        'args.url = { domain = ["*.mybank.example"] }\nreason = "never my bank"\n')


@pytest.fixture
def home():
    h = Home()
    app = h.path / "apps" / "deleter"
    app.mkdir(parents=True)
    (app / "app.toml").write_text('name = "deleter"\nentry = "main:run"\n[permissions]\nsyscalls = ["fs.*"]\nfiles = ["*.txt"]\n')
    (app / "main.py").write_text(DELETER)
    (h.path / "rules").mkdir()
    (h.path / "rules" / "mine.toml").write_text(MINE)
    try:
        yield h
    finally:
        h.teardown()


def pending(capsys, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, out, _ = cli(capsys, "approvals")
        if re.search(r"^approval (\w+): pid (\d+) \(deleter\) wants fs\.delete\n.*\n  path = \S+$", out,
                     re.MULTILINE):
            return out
        time.sleep(0.1)
    raise AssertionError("no approval showed up")


def test_approve_and_deny_from_the_cli(home, monkeypatch, capsys):
    assert home.llmos("boot").returncode == 0
    monkeypatch.setenv("LLMOS_HOME", str(home.path))
    pid = cli(capsys, "run", "-d", "deleter", "a.txt")[1].strip()
    out = pending(capsys)
    aid = out.split()[1].rstrip(":")
    assert f"pid {pid}" in out and "deleting a file cannot be undone" in out and "expires in" in out, out
    rc, shown, _ = cli(capsys, "approvals", "show", aid)
    assert rc == 0 and "  path = a.txt\n" in shown and "  digest " in shown, shown
    with pytest.raises(SystemExit):
        cli(capsys, "approvals", "show", "nosuch")
    ps = cli(capsys, "ps")[1]
    assert re.search(rf"^\s*{pid}\s.*BLOCKED", ps, re.MULTILINE), ps
    rc, out, _ = cli(capsys, "approve", aid)
    assert rc == 0 and f"approved {aid}" in out
    res = cli(capsys, "wait", pid)
    assert res[1].strip() == "a.txt:deleted", res
    with pytest.raises(SystemExit):
        cli(capsys, "approve", aid)  # used once

    pid2 = cli(capsys, "run", "-d", "deleter", "b.txt")[1].strip()
    aid2 = pending(capsys).split()[1].rstrip(":")
    assert cli(capsys, "deny", aid2, "not", "now")[0] == 0
    res = cli(capsys, "wait", pid2)[1]
    assert "b.txt:approval_denied" in res and "not now" in res
    assert re.search(r"fs\.delete\s+ask\s+system\.fs-delete", cli(capsys, "rules", "explain", pid2)[1])


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_rules_check_list_explain(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    (home / "rules").mkdir(parents=True)
    (home / "rules" / "mine.toml").write_text(MINE)
    monkeypatch.setenv("LLMOS_HOME", str(home))
    bad = tmp_path / "bad.toml"
    bad.write_text(BROKEN)
    rc, _, err = cli(capsys, "rules", "check", str(bad))
    assert rc == 1 and f"{bad}:5" in err and "glob" in err
    rc, out, _ = cli(capsys, "rules", "check", str(home / "rules" / "mine.toml"))
    assert rc == 0 and "ok, 1 rule" in out
    rc, out, _ = cli(capsys, "rules", "list")
    assert rc == 0 and "system.fs-delete" in out and "me.bank-never" in out
    rc, out, _ = cli(capsys, "rules", "explain", "browser.open", '{"url": "https://www.mybаnk.example/"}')
    assert out.startswith("browser.open: deny — never my bank (rule me.bank-never)")
    rc, out, _ = cli(capsys, "rules", "explain", "fs.delete", "[1]")
    assert rc == 2
    (home / "rules" / "zz.toml").write_text(BROKEN)
    rc, _, err = cli(capsys, "rules", "list")
    assert rc == 1 and "not loaded" in err and "zz.toml:5" in err
