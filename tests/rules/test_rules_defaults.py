"""The shipped system rules do what docs/rules.md says they do."""

from __future__ import annotations

import pytest

from kernel.rules import Call, RulesEngine, parse_rules

ENGINE = RulesEngine.with_defaults()


def decide(name, args=None, untrusted=(), app="a", now=0.0, engine=ENGINE):
    return engine.decide(Call(name=name, args=args or {}, untrusted_args=list(untrusted), app=app, now=now))


@pytest.mark.parametrize("name,args,untrusted,rule", [
    ("fs.delete", {"path": "old.txt"}, (), "system.fs-delete"),
    ("mem.forget", {"id": "m1", "collection": "user"}, (), "system.mem-forget-shared"),
    ("browser.click", {"index": 4, "page_url": "https://shop.example/checkout"}, (), "system.browser-pay-page"),
    ("browser.type", {"index": 2, "text": "4111", "submit": True, "page_url": "https://x.example/payment"},
     (), "system.browser-pay-submit"),
    ("browser.click", {"index": 9, "element": "Place order"}, (), "system.browser-pay-button"),
    ("browser.click", {"index": 9, "element": "Pay now"}, (), "system.browser-pay-button"),
    ("tool.call", {"name": "shell", "args": {"cmd": "rm -rf x"}}, ("args.cmd",), "system.untrusted-high-risk"),
    ("proc.spawn", {"app": "x", "task": "t"}, ("task",), "system.untrusted-high-risk"),
    ("fs.write", {"path": "evil.sh", "data": "x"}, ("path",), "system.untrusted-write-path"),
    ("mem.store", {"text": "always obey", "collection": "user"}, ("text",), "system.untrusted-memory"),
    ("browser.type", {"index": 1, "text": "data", "submit": True}, ("text",), "system.untrusted-form-submit"),
])
def test_default_asks(name, args, untrusted, rule):
    d = decide(name, args, untrusted)
    assert (d.effect, d.rule_id) == ("ask", rule)
    assert d.reason


@pytest.mark.parametrize("name,args,untrusted", [
    ("fs.read", {"path": "a.txt"}, ()),
    ("fs.write", {"path": "a.txt", "data": "page text"}, ("data",)),  # untrusted content is fine
    ("mem.forget", {"id": "m1"}, ()),  # its own scratch memory
    ("mem.store", {"text": "page says hi"}, ("text",)),  # own collection
    ("proc.spawn", {"app": "worker", "task": "sum these"}, ()),
    ("browser.click", {"index": 3, "element": "Next page", "page_url": "https://news.example/"}, ()),
    ("browser.type", {"index": 1, "text": "Paris", "submit": True, "page_url": "https://travel.example/search"}, ()),
    ("browser.open", {"url": "http://127.0.0.1:8000/flights"}, ()),
    ("tool.call", {"name": "calculator", "args": {"expr": "2+2"}}, ()),
    ("llm.chat", {"messages": []}, ()),
])
def test_default_allows_ordinary_work(name, args, untrusted):
    assert decide(name, args, untrusted).effect == "allow"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "FILE:///x", " javascript:alert(1)",
                                 "data:text/html,hi", "chrome://settings", "view-source:https://x"])
def test_browser_stays_on_the_web(url):
    assert decide("browser.open", {"url": url}).rule_id == "system.browser-local-schemes"


def test_runaway_guards():
    e = RulesEngine.with_defaults()
    spawns = [decide("proc.spawn", {"app": "w"}, app="mgr", now=i * 0.1, engine=e).effect for i in range(31)]
    assert spawns[:30] == ["allow"] * 30 and spawns[30] == "deny"
    assert decide("proc.spawn", {"app": "w"}, app="other", now=3.0, engine=e).effect == "allow"


def test_user_rules_cannot_loosen_system_asks():
    user = parse_rules('[[rule]]\nid = "u"\neffect = "allow"\nmatch = ["fs.*"]\n', level="user")
    e = RulesEngine.with_defaults(user)
    assert e.decide(Call(name="fs.delete", args={"path": "x"})).rule_id == "system.fs-delete"


SEAT_PAGE = "http://127.0.0.1:8765/flights/seat.html"


@pytest.mark.parametrize("label", ["Pay now", "Buy", "Place order", "Place an order", "Book now",
                                   "Confirm booking", "Confirm booking and pay $420", "Confirm and pay",
                                   "Complete purchase", "Subscribe", "Send money", "Donate $5",
                                   "Continue and pay", "Proceed to checkout and pay",
                                   "Review and pay"])
def test_the_pay_button_rule_fires_on_paying(label):
    d = decide("browser.click", {"index": 7, "element": label, "page_url": SEAT_PAGE})
    assert (d.effect, d.rule_id) == ("ask", "system.browser-pay-button"), label


@pytest.mark.parametrize("label", ["Continue to checkout", "Proceed to payment", "Go to checkout",
                                   "Back to cart", "Continue to pay", "Review order", "Next", "Payment options",
                                   "Return to booking", "View purchase history", "Skip to payment",
                                   "Track order", "Cancel subscription"])
def test_the_pay_button_rule_does_not_fire_on_navigating(label):
    d = decide("browser.click", {"index": 7, "element": label, "page_url": SEAT_PAGE})
    assert d.effect == "allow", (label, d.rule_id)


def test_the_checkout_page_itself_still_asks():
    d = decide("browser.click", {"index": 2, "element": "Continue", "page_url": "http://127.0.0.1:8765/flights/"
                                                                                 "checkout.html"})
    assert (d.effect, d.rule_id) == ("ask", "system.browser-pay-page")
