"""Property tests: decide never raises, and normalised paths never escape an allow's glob."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.rules import Call, RulesEngine, parse_rules

ALL_KINDS = """
[[rule]]
id = "d-path"
effect = "deny"
match = ["fs.*"]
args.path = "~/bank/**"

[[rule]]
id = "d-url"
effect = "deny"
match = ["browser.*"]
args.url = { domain = ["*.bank.example"] }

[[rule]]
id = "a-url"
effect = "allow"
match = ["browser.*"]
args.url = { domain = ["*.travel.example"] }

[[rule]]
id = "q-amount"
effect = "ask"
match = ["tool.*"]
args."args.amount" = { gt = 500, le = 1e9 }
args.name = { in = ["pay", 3] }

[[rule]]
id = "q-regex"
effect = "ask"
match = ["*"]
args.text = { regex = "(?i)^(ignore|disregard) (all|previous)" }
budget = "tokens_left < 100"

[[rule]]
id = "d-rate"
effect = "deny"
match = ["llm.*"]
rate = "5/s"
derived_from_untrusted = ["prompt"]
"""

ENGINE = RulesEngine([parse_rules(ALL_KINDS)], default="deny")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40),
                      st.binary(max_size=10))
json_value = st.recursive(json_leaf, lambda c: st.one_of(st.lists(c, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), c, max_size=4)),
                          max_leaves=12)
arg_names = st.sampled_from(["path", "url", "text", "args", "name", "amount", "prompt", "x.y"])
names = st.one_of(st.sampled_from(["fs.read", "fs.delete", "browser.open", "tool.call", "llm.chat",
                                   "user.ask"]), st.text(max_size=12))


@SETTINGS
@given(name=names, args=st.dictionaries(arg_names, json_value, max_size=6),
       app=st.text(max_size=8), untrusted=st.lists(arg_names, max_size=3),
       budgets=st.dictionaries(st.sampled_from(["tokens", "tokens_left", "usd"]), st.floats(), max_size=3),
       now=st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e10))
def test_decide_never_raises_and_always_answers(name, args, app, untrusted, budgets, now):
    call = Call(name=name, args=args, app=app, untrusted_args=untrusted, budgets_left=budgets, now=now)
    d = ENGINE.decide(call)
    assert d.effect in ("allow", "deny", "ask")
    assert isinstance(d.reason, str) and d.reason
    ex = ENGINE.explain(call)
    assert ex.decision.effect in ("allow", "deny", "ask")


segments = st.sampled_from(["..", ".", "travel", "bank", "x", "%2e%2e", "%2E.", "%252e%252e", "",
                            "．．", "tr%61vel", "a\\..", "\u200b"])

TRAVEL_ONLY = RulesEngine([parse_rules(
    '[[rule]]\nid = "t"\neffect = "allow"\nmatch = ["fs.read"]\nargs.path = "~/travel/**"\n')],
    default="deny")


def _resolved_forms(path: str) -> list[str]:
    """Every way a downstream component might read this path."""
    out = []
    for p in (path, unquote(unquote(unquote(path)))):
        for q in (p, p.replace("\\", "/")):
            q = q.replace("．", ".").replace("\u200b", "")
            q = "/~" + q[1:] if q.startswith("~") else q
            out.append(posixpath.normpath("/" + q.lstrip("/")))
    return out


@SETTINGS
@given(st.lists(segments, min_size=1, max_size=8), st.booleans())
def test_paths_with_dotdot_never_match_an_allow_outside_its_glob(segs, tilde):
    path = ("~/" if tilde else "") + "/".join(segs)
    if TRAVEL_ONLY.decide(Call(name="fs.read", args={"path": path})).effect == "allow":
        for form in _resolved_forms(path):
            assert form == "/~/travel" or form.startswith("/~/travel/"), (path, form)


BANKISH = ["bank", "bаnk", "xn--bnk-6cd", "ｂａｎｋ", "BANK", "b%61nk", "bank\u200b"]
hosts = st.lists(st.sampled_from(BANKISH + ["travel", "trаvel", "example", "www", "evil"]),
                 min_size=1, max_size=4)
OPEN_BY_DEFAULT = RulesEngine([parse_rules(ALL_KINDS)], default="allow")


@SETTINGS
@given(hosts, st.sampled_from(["https://", "http://", "", "//", "https://u@", "https://evil.example@"]))
def test_a_url_that_looks_like_the_bank_is_always_denied(labels, prefix):
    url = prefix + ".".join(labels) + ".example/x"
    d = OPEN_BY_DEFAULT.decide(Call(name="browser.open", args={"url": url}))
    if labels[-1] in BANKISH:
        assert d.effect == "deny" and d.rule_id == "d-url", url
    elif d.effect == "deny":
        assert d.rule_id != "d-url", url  # no false positives on unrelated hosts
