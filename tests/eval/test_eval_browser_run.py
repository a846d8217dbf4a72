"""``llmos eval travel`` over browser-suite items on the scripted travel oracle: the demo site served for the
run and stopped after it, the browser subsystem added to the in-process kernel, and ``--approve``
answering the checkout's confirmation and the rules' approval (without it, nothing is booked)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from drivers.browser import find_chromium
from llmos.cli import main
from llmos.eval import sites
from llmos.eval.suite import SUITES_DIR, load_suite
from tests.eval.test_eval_sites import refused

pytestmark = pytest.mark.browser
IDS = ["browser-code-01", "browser-cabin-01", "browser-phrase-06"]  # codes; a business cabin; "to ORD from MIA"


def need_chromium() -> None:
    if find_chromium() is None:
        pytest.skip("Chromium is missing: run scripts/setup-chromium.sh")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home whose kernel boots only the rules (eval adds the browser), answers with the travel oracle,
    and lets a request to the person expire after 2 s."""
    need_chromium()
    home = tmp_path / "home"
    home.mkdir()
    (home / "llmos.toml").write_text('[kernel]\nsubsystems = ["rules"]\n\n[rules]\napproval_ttl = 2\n')
    monkeypatch.setenv("LLMOS_HOME", str(home))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"engine": "tests.eval.browser_oracle:booking_model"}))
    monkeypatch.setenv("LLMOS_SCRIPT", str(script))
    return home


@pytest.fixture
def served(monkeypatch):
    """Every site server the runs start, to check on after them."""
    started: list[sites.Site] = []

    class Spy(sites.Site):
        def __init__(self, folder: Path):
            super().__init__(folder)
            started.append(self)
    monkeypatch.setattr(sites, "Site", Spy)
    return started


def suite_of(tmp_path: Path, ids: list[str]) -> Path:
    """The bundled items, with their site folder written out in full for a suite file elsewhere."""
    items = {i.id: i for i in load_suite("browser").items}
    path = tmp_path / "browser-few.jsonl"
    rows = [{"id": i, "category": items[i].category, "task": items[i].task, "expect": items[i].expect,
             "checker": "python:browser_checks:booked", "site": str((SUITES_DIR / items[i].site).resolve())} for i in ids]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "browser_checks.py").write_text((SUITES_DIR / "browser_checks.py").read_text())
    return path


def test_with_approve_the_oracle_books_every_item_and_the_site_is_gone_after(home, served, tmp_path, capsys):
    suite = suite_of(tmp_path, IDS)
    assert main(["eval", "travel", str(suite), "--model", "scripted", "--approve", "--out", str(tmp_path / "r")]) == 0
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert (rep["overall"]["passed"], rep["overall"]["total"]) == (3, 3), rep["items"]
    assert rep["approve"] is True and rep["approved"] == 6  # per booking: travel's confirm and the pay rule's approval
    assert "6 approvals and confirmations of its processes answered yes" in (tmp_path / "r" / "report.md").read_text()
    assert len(served) == 1 and served[0].url.startswith("http://127.0.0.1:")  # one folder, one server
    assert refused(f"{served[0].url}/index.html")  # stopped with the run
    for item in rep["items"]:
        assert item["answer"].startswith('{"booked":true,') and "{site}" not in item["answer"]


def test_without_approve_nothing_is_approved_and_nothing_is_booked(home, served, tmp_path):
    suite = suite_of(tmp_path, IDS[:1])
    assert main(["eval", "travel", str(suite), "--model", "scripted", "--out", str(tmp_path / "r")]) == 0
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert rep["approve"] is False and rep["approved"] == 0
    item = rep["items"][0]
    assert (item["passed"], item["failure"], item["system"]) == (False, "wrong", False)
    assert item["answer"].startswith('{"booked":false,')
    log = [json.loads(line) for line in (home / "logs" / "kernel.jsonl").read_text().splitlines()]
    asked = [e for e in log if e.get("event") == "syscall" and e.get("call") == "user.confirm"]
    assert len(asked) == 1 and asked[0]["ok"] is False  # travel asked before paying, and nobody said yes
    assert not any(str(e.get("event")).startswith(("approval.", "question.")) for e in log)
    assert refused(f"{served[0].url}/index.html")


def test_the_bundled_suite_finds_its_site(home, served, tmp_path):
    """``llmos eval travel browser``: the suite's own folder (tests/sites/flights), by its relative path."""
    assert main(["eval", "travel", "browser", "--model", "scripted", "--approve", "--limit", "1",
                 "--out", str(tmp_path / "r")]) == 0
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert rep["overall"]["passed"] == 1 and served[0].folder == (Path(__file__).parents[2] / "tests/sites/flights")


def test_with_approve_on_the_daemon_its_own_requests_are_answered_through_the_kernel_api(tmp_path):
    from tests.daemon.harness import Home
    need_chromium()
    daemon = Home()
    try:
        (daemon.path / "script.json").write_text(json.dumps({"engine": "tests.eval.browser_oracle:booking_model"}))
        (daemon.path / "llmos.toml").write_text('[kernel]\nsubsystems = ["rules", "person", "browser"]\n')
        assert daemon.llmos("boot").returncode == 0
        suite = suite_of(tmp_path, IDS[:1])
        r = daemon.llmos("eval", "travel", str(suite), "--approve", "--out", str(tmp_path / "r"), timeout=180)
        assert r.returncode == 0, r.stderr
        rep = json.loads((tmp_path / "r" / "report.json").read_text())
        assert rep["backend"] == "kernel daemon" and rep["overall"]["passed"] == 1 and rep["approved"] == 2
    finally:
        daemon.teardown()
