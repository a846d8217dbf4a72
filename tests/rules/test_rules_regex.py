"""Regex bounds: per-decision time budget, the no-`regex` fallback, the load-time checker."""

from __future__ import annotations

import time

import pytest

from kernel.rules import Call, RulesEngine, parse_rules, patterns
from kernel.rules.patterns import PatternError, SafeRegex


@pytest.mark.skipif(not patterns.HAVE_REGEX_TIMEOUT, reason="needs the `regex` module")
def test_all_regexes_of_one_decision_share_a_time_budget(monkeypatch):
    monkeypatch.setattr(patterns, "REGEX_TIMEOUT_S", 5.0)  # only the shared budget can stop it
    monkeypatch.setattr(patterns, "DECISION_REGEX_BUDGET_S", 0.2)
    text = "".join(f'[[rule]]\nid = "s{i}"\neffect = "allow"\nmatch = ["fs.write"]\n'
                   f'args.data = {{ regex = "a+b?$" }}\n\n' for i in range(40))
    e = RulesEngine([parse_rules(text)])
    t0 = time.perf_counter()
    d = e.decide(Call(name="fs.write", args={"data": "a" * 6000 + "!"}))
    assert d.effect == "deny" and "budget" in d.reason
    assert time.perf_counter() - t0 < 10  # 40 searches unbounded would be far slower


def test_fallback_without_regex_module_bounds_input(monkeypatch):
    monkeypatch.setattr(patterns, "_regex", None)
    rx = SafeRegex(r"a+$")
    assert rx.search("aaa") is True
    with pytest.raises(patterns.RegexTimeout):
        rx.search("a" * 5000 + "!")
    assert SafeRegex("secret").search("x" * 100_000 + "secret") is True  # repeat-free: linear


@pytest.mark.parametrize("ok", [r"^[a-z0-9._-]+@example\.com$", r"(?i)\b(pay|buy)\b", r"^(foo|bar)+$",
                                r"\d{1,3}(\.\d{1,3}){3}", r"(ab)+c", r"(?:x|y)*"])
def test_ordinary_patterns_load(ok):
    SafeRegex(ok)


@pytest.mark.parametrize("bad", [r"(a+)+", r"(a*)*", r"(a|a)*", r"(\d+\.?)+", r"((ab)*c)*",
                                 r"(?:a|ab)+", r"(x+x+)+y", r"([a-z]+)*$"])
def test_dangerous_patterns_refused(bad):
    with pytest.raises(PatternError):
        SafeRegex(bad)
