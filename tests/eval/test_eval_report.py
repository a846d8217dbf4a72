"""Eval reports (JSON, markdown, plot) and the comparison of two runs with a significance test."""
from __future__ import annotations

import json

import pytest

from llmos.eval import compare as cmp
from llmos.eval import report
from llmos.eval.outcome import Outcome


def outcome(id: str, cat: str, passed: bool, failure: str = "", system: bool = False, sample: int = 0) -> Outcome:
    return Outcome(id=id, category=cat, sample=sample, passed=passed, failure="" if passed else (failure or "wrong"),
                   system=system, answer="42" if passed else "41", error="", tokens_in=100, tokens_out=10,
                   llm_seconds=1.0, wall_seconds=2.0)


def run(passes: list[bool], prefix: str = "i") -> list[Outcome]:
    return [outcome(f"{prefix}{n}", "a" if n % 2 else "b", p) for n, p in enumerate(passes)]


def test_report_files_hold_the_rates_costs_and_failures(tmp_path):
    rows = run([True] * 6 + [False] * 3) + [outcome("t", "a", False, "timeout", True)]
    s = report.summarize(rows, {"app": "pal", "suite": "math", "split": "heldout", "seconds": 12.0})
    js, md = report.write(s, tmp_path / "out")
    data = report.load(js)
    assert data["overall"] == {"passed": 6, "total": 10, "rate": 0.6, "low": 0.3127, "high": 0.8318}
    assert data["answered"]["total"] == 9 and data["cost_per_task"]["tokens_in"] == 100
    text = md.read_text()
    assert "**success: 60% (6/10; 95% CI 31%–83%)**" in text
    assert "| a |" in text and "| b |" in text and "- `timeout`: 1" in text and "- `wrong`: 3" in text
    pytest.importorskip("matplotlib")
    assert (tmp_path / "out" / "success.png").stat().st_size > 1000 and "![success per category](success.png)" in text


def test_load_refuses_what_is_not_a_report(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "y.json").write_text("{")
    for name, msg in (("x.json", "not an llmos eval report"), ("y.json", "not JSON"), ("z.json", "cannot read")):
        with pytest.raises(ValueError, match=msg):
            report.load(tmp_path / name)


def summary(rows):
    return report.summarize(rows, {"app": "pal", "suite": "math"})


def test_paired_comparison_uses_mcnemar_on_the_items_that_changed():
    old = summary(run([False] * 8 + [True] * 12))
    new = summary(run([True] * 8 + [True] * 12))
    c = cmp.compare(old, new)
    o = c["overall"]
    assert o["test"] == "mcnemar_exact" and (o["gained"], o["lost"]) == (8, 0)
    assert o["p"] == pytest.approx(0.0078, abs=1e-4) and o["significant"] and o["delta"] == pytest.approx(0.4)
    same = cmp.compare(old, summary(run([True] * 1 + [False] * 7 + [True] * 11 + [False])))
    assert not same["overall"]["significant"]  # 1 gained, 1 lost
    text = cmp.markdown(c, "old.json", "new.json")
    assert "a significant difference" in text and "8 items gained, 0 lost" in text and "| a |" in text


def test_unpaired_comparison_uses_two_proportions():
    c = cmp.compare(summary(run([True] * 15 + [False] * 15, "x")), summary(run([True] * 25 + [False] * 5, "y")))
    assert c["overall"]["test"] == "two_proportion_z" and c["overall"]["p"] == pytest.approx(0.0062, abs=1e-4)
    assert "no significant" in cmp.markdown(cmp.compare(summary(run([True, False], "x")),
                                                        summary(run([False, True], "y"))), "a", "b")
