"""The travel-not-bank example in docs/rules.md loads and does what the text claims."""

from __future__ import annotations

import re
from pathlib import Path

from kernel.rules import Call, RulesEngine, parse_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def example_engine() -> RulesEngine:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(r"```toml\n# ~/.llmos/rules/travel.toml\n(.*?)```", text, re.DOTALL).group(1)
    return RulesEngine.with_defaults(parse_rules(block, source="rules.md"))


def test_doc_example_claims():
    e = example_engine()
    assert e.warnings == []

    def url(u):
        return e.decide(Call(name="browser.open", args={"url": u}, app="travel")).effect

    assert url("https://flights.travel.example/") == "allow"
    for u in ["https://bank.example/", "https://www.BANK.example./",
              "https://travel.example@bank.example/", "https://bаnk.example/"]:
        assert url(u) == "deny", u
    for p in ["~/travel/../bank/statement.pdf", "~/travel/%2e%2e/bank/x"]:
        assert e.decide(Call(name="fs.read", args={"path": p})).effect == "deny", p
    book = Call(name="tool.call", args={"name": "book", "args": {"price": 640}})
    assert e.decide(book).rule_id == "big-bookings"
