"""The bundled suites: 60+ items each, split dev/held-out by the documented rule, and no held-out
item in any app's prompt or examples (docs/eval.md)."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from llmos.eval.checkers import check
from llmos.eval.suite import SUITES_DIR, load_suite, split_of

ROOT = Path(__file__).resolve().parents[2]
SUITES = ["math", "tools", "functions", "memory", "browser"]
MATH_CATEGORIES = {"one-step", "multi-step", "unit-conversion", "percent", "rate-time", "powers-series"}
# The held-out ids, pinned: changing a suite's items or the rule changes these on purpose, never by accident.
HELDOUT_DIGEST = {
    "math": "fbb85ae66b314a33", "tools": "9367bdde1c0fe4ab", "functions": "5599bf99379e8bea", "memory": "19d058d96c6ca2e5",
    "browser": "1a3cc9575a9cf186",
}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def texts(item) -> list[str]:
    """What the model reads of an item: each turn (without a travel request's ``site=`` option), or the
    request inside a function-calling task."""
    out = []
    for turn in item.turns:
        turn = re.sub(r"\s*\bsite=\S+", "", turn)
        try:
            data = json.loads(turn)
        except ValueError:
            data = None
        out.append(data["request"] if isinstance(data, dict) and "request" in data else turn)
    return out


def prompt_files() -> str:
    """Every app's code, manifest and data, the test data pal's prompts are tuned on, and the docs' examples."""
    paths = [p for p in (ROOT / "apps").rglob("*") if p.suffix in (".py", ".toml", ".json", ".txt", ".md")]
    paths += list((ROOT / "tests" / "apps" / "data").glob("*.json"))
    return norm("\n".join(p.read_text(encoding="utf-8", errors="replace") for p in paths))


@pytest.mark.parametrize("name", SUITES)
def test_each_suite_is_split_into_disjoint_halves_with_every_category_in_both(name):
    suite = load_suite(name)
    assert len(suite.items) >= 60
    dev, held = {i.id for i in suite.half("dev")}, {i.id for i in suite.half("heldout")}
    assert not dev & held and dev | held == {i.id for i in suite.items}
    assert abs(len(dev) - len(held)) <= len(suite.categories)
    for cat in suite.categories:
        assert any(i.category == cat for i in suite.half("dev")), cat
        assert any(i.category == cat for i in suite.half("heldout")), cat
    digest = hashlib.sha256("\n".join(sorted(held)).encode()).hexdigest()[:16]
    assert HELDOUT_DIGEST.get(name) == digest, f"{name}: held-out ids changed (digest {digest})"


def test_math_has_the_grade_school_categories():
    assert set(load_suite("math").categories) == MATH_CATEGORIES


def test_no_task_appears_twice_in_any_suite():
    seen: dict[str, str] = {}
    for name in SUITES:
        for item in load_suite(name).items:
            key = norm(" / ".join(item.turns))
            assert key not in seen, f"{item.id} repeats {seen[key]}"
            seen[key] = item.id
    questions = [norm(texts(i)[-1]) for n in SUITES for i in load_suite(n).items]
    memory_questions = [norm(texts(i)[-1]) for i in load_suite("memory").items]
    assert len(set(memory_questions)) == len(memory_questions) and len(questions) >= 240


def test_no_held_out_item_is_in_any_app_prompt_or_example():
    corpus = prompt_files()
    for name in SUITES:
        suite = load_suite(name)
        for item in suite.half("heldout"):
            for text in texts(item):
                if len(text) >= 20:  # short turns ("Call Grandma.") are words, not items
                    assert norm(text) not in corpus, f"{item.id}: {text!r} is in an app's prompt or data"


@pytest.mark.parametrize("name", SUITES)
def test_each_expected_answer_passes_its_own_checker(name):
    """A checker that cannot pass (a typo in ``expect``) would count as a model failure forever."""
    suite = load_suite(name)
    for item in suite.items:
        if item.checker.startswith("python:"):
            continue  # the clock items: checked against the time of the run
        answer = json.dumps(item.expect) if not isinstance(item.expect, str) else item.expect
        if isinstance(item.expect, list):
            answer = " ".join(item.expect)
        assert check(item, answer, SUITES_DIR), item.id


def test_the_rule_is_by_id_within_category():
    suite = load_suite("math")
    for item in suite.items:
        assert split_of(item, suite.items) == split_of(item, list(reversed(suite.items)))


def test_the_clock_checkers_accept_now_and_refuse_another_time():
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    items = {i.expect: i for i in load_suite("tools").items if i.category == "clock"}
    good = {"year": f"It is {now.year}.", "date": now.strftime("Today is %Y-%m-%d."), "month": now.strftime("It is %B."),
            "weekday": now.strftime("Today is %A."), "hour": now.strftime("It is %H:%M UTC.")}
    other = now - dt.timedelta(days=400, hours=5)
    bad = {"year": f"It is {other.year}.", "date": other.strftime("%Y-%m-%d"), "month": "It is Smarch.",
           "weekday": "It is Blursday.", "hour": f"It is {(now.hour + 5) % 24} o'clock UTC."}
    assert set(items) == set(good)
    for kind, item in items.items():
        assert check(item, good[kind], SUITES_DIR), kind
        assert not check(item, bad[kind], SUITES_DIR), kind
