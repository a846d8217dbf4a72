"""The answer checkers and the statistics behind reports and comparisons."""
from __future__ import annotations

import math

import pytest

from llmos.eval.checkers import CheckError, check, contains, contains_any, exact, json_match, number
from llmos.eval.stats import mcnemar_exact, two_proportion, wilson
from llmos.eval.suite import Item


def test_number_reads_the_last_number():
    assert number("The answer is 1,000.", 1000) and number("643", 643) and number("x = 0.5", 0.5)
    assert not number("300 * 0.17", 51) and not number("no number", 1) and not number("5100", 51)
    assert number("-4 degrees", -4) and not number("4 degrees", -4)


def test_exact_contains_and_json_match():
    assert exact("  Tea. ", "tea") and not exact("Tea please", "tea")
    assert contains("It is 09:30 UTC", ["09:30", "utc"]) and not contains("It is 09:31", "09:30")
    assert not contains("cacti", ["cacti", "cactuses"])  # every piece
    assert contains_any("Cacti.", ["cacti", "cactuses"]) and not contains_any("a cactus", ["cacti", "cactuses"])  # one of them
    call = {"name": "set_alarm", "arguments": {"hour": 7, "minute": 30}}
    assert json_match('{"name": "set_alarm", "arguments": {"minute": 30.0, "hour": 7}}', call)
    assert json_match('Calling: {"name": "set_alarm", "arguments": {"hour": 7, "minute": 30}} now', call)
    assert not json_match('{"name": "set_alarm", "arguments": {"hour": 7, "minute": 30, "x": 1}}', call)
    assert not json_match('{"name": "set_alarm", "arguments": {"hour": "7", "minute": 30}}', call)
    assert not json_match('{"ok": true}', {"ok": 1}) and not json_match("nothing", call)


def test_python_checkers_load_from_the_suite_folder_and_their_faults_are_reported(tmp_path):
    (tmp_path / "chk.py").write_text("def even(answer, expect, item):\n    return int(answer) % 2 == 0\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    it = lambda c: Item(id="x", category="c", task="t", expect=0, checker=c)
    assert check(it("python:chk:even"), "4", tmp_path) and not check(it("python:chk:even"), "3", tmp_path)
    with pytest.raises(CheckError, match="raised ValueError"):
        check(it("python:chk:even"), "four", tmp_path)
    with pytest.raises(CheckError, match="SyntaxError"):
        check(it("python:broken:f"), "4", tmp_path)
    with pytest.raises(CheckError, match="has no function 'odd'"):
        check(it("python:chk:odd"), "4", tmp_path)


def test_wilson_matches_known_values():
    lo, hi = wilson(5, 10)
    assert math.isclose(lo, 0.2366, abs_tol=1e-4) and math.isclose(hi, 0.7634, abs_tol=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and math.isclose(hi, 0.2775, abs_tol=1e-4)
    assert wilson(30, 30)[1] == 1.0 and wilson(0, 0) == (0.0, 1.0)


def test_significance_tests():
    z, p = two_proportion(15, 30, 25, 30)  # 50% -> 83%
    assert math.isclose(z, 2.7386, abs_tol=1e-3) and math.isclose(p, 0.00617, abs_tol=1e-4)
    assert two_proportion(10, 30, 11, 30)[1] > 0.5
    assert math.isclose(mcnemar_exact(0, 6), 0.03125) and mcnemar_exact(3, 3) == 1.0
    assert math.isclose(mcnemar_exact(1, 9), 0.021484375)
