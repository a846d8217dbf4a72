"""Loading rules files: good files compile, malformed ones fail with file, line and reason."""

from __future__ import annotations

import time

import pytest

from kernel.rules import (
    Call,
    RulesEngine,
    RulesError,
    default_rules_path,
    load_rules_file,
    parse_rules,
)


def load_err(text: str) -> RulesError:
    with pytest.raises(RulesError) as info:
        parse_rules(text, source="my.toml")
    return info.value


def test_toml_syntax_error_names_file_and_line():
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["fs.*"\nreason = "x"\n')
    assert err.file == "my.toml"
    assert err.line is not None and err.line >= 3
    assert str(err).startswith(f"my.toml:{err.line}: TOML syntax error")


def test_unknown_key_points_at_its_line():
    text = ('[[rule]]\neffect = "allow"\nmatch = ["fs.read"]\n\n'
            '[[rule]]\neffect = "deny"\nmatch = ["fs.write"]\nreasn = "typo"\n')
    err = load_err(text)
    assert err.line == 8
    assert "unknown key 'reasn'" in err.reason and "rule #2" in err.reason


def test_bad_effect():
    err = load_err('[[rule]]\nmatch = ["fs.*"]\neffect = "maybe"\n')
    assert err.line == 3 and "effect must be one of" in err.reason


def test_missing_match_and_wrong_types():
    assert "missing 'match'" in load_err('[[rule]]\neffect = "deny"\n').reason
    err = load_err('[[rule]]\neffect = "deny"\nmatch = 5\n')
    assert err.line == 3 and "match must be" in err.reason
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["x.y"]\nargs.amount = { gt = "500" }\n')
    assert err.line == 4 and "must be a number" in err.reason
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["x.y"]\nargs.amount = { bigger = 1 }\n')
    assert "unknown condition 'bigger'" in err.reason


def test_invalid_regex_line():
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\n'
                   '[rule.args]\npath = { regex = "([a-z" }\n')
    assert err.line == 5 and "invalid regex" in err.reason


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a*)*b", r"(\w+\s?)+$", r"(a|aa)+$", r"(.*a){1,}x"])
def test_catastrophic_regex_rejected_at_load(pattern):
    text = f'[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\nargs.data = {{ regex = \'{pattern}\' }}\n'
    err = load_err(text)
    assert err.line == 4
    assert "nests a repeat" in err.reason or "alternation" in err.reason


def test_safe_alternation_under_repeat_is_fine():
    rs = parse_rules('[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\n'
                     'args.data = { regex = "^(foo|bar)+$" }\n')
    assert len(rs.rules) == 1


def test_rate_on_allow_and_bad_rate():
    err = load_err('[[rule]]\neffect = "allow"\nmatch = ["fs.*"]\nrate = "10/min"\n')
    assert err.line == 4 and "deny or ask" in err.reason
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\nrate = "lots"\n')
    assert "not like '10/min'" in err.reason


def test_unknown_top_level_key():
    err = load_err('version = 1\n[[rules]]\neffect = "deny"\n')
    assert err.line == 2 and "unknown top-level key 'rules'" in err.reason


def test_bad_domain_pattern():
    err = load_err('[[rule]]\neffect = "deny"\nmatch = ["browser.open"]\n'
                   'args.url = { domain = ["bank.*"] }\n')
    assert err.line == 4 and "domain pattern" in err.reason


def test_unknown_syscall_name_warns_but_loads():
    rs = parse_rules('[[rule]]\neffect = "deny"\nmatch = ["fs.wrte", "fs.*"]\n', source="u.toml")
    assert len(rs.rules) == 1
    assert any("fs.wrte" in w and "u.toml:1" in w for w in rs.warnings)
    engine = RulesEngine([rs])
    # The typo never matches anything, the glob beside it still works.
    assert engine.decide(Call(name="fs.wrte")).effect == "deny"  # fs.* covers it
    assert engine.decide(Call(name="tool.call")).effect == "allow"


def test_app_level_rules_only_apply_to_their_app():
    rs = parse_rules('[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\napp = ["other"]\n',
                     level="app", app="travel", source="travel.toml")
    engine = RulesEngine([rs])
    assert engine.decide(Call(name="fs.read", app="travel")).effect == "deny"
    assert engine.decide(Call(name="fs.read", app="other")).effect == "allow"
    assert rs.warnings


def test_default_ids_and_explicit_ids():
    rs = parse_rules('[[rule]]\neffect = "deny"\nmatch = ["fs.*"]\n\n'
                     '[[rule]]\nid = "mine"\neffect = "ask"\nmatch = ["fs.*"]\n', source="/x/u.toml")
    assert [r.id for r in rs.rules] == ["u.toml:1", "mine"]


def test_shipped_defaults_load_cleanly():
    rs = load_rules_file(default_rules_path(), level="system")
    assert rs.warnings == []
    assert len(rs.rules) >= 10
    assert all(r.reason for r in rs.rules)
    assert len({r.id for r in rs.rules}) == len(rs.rules)


def test_missing_file():
    with pytest.raises(RulesError) as info:
        load_rules_file("/nonexistent/rules.toml")
    assert "/nonexistent/rules.toml" in str(info.value)


def test_large_file_loads_fast_enough():
    body = "".join(f'[[rule]]\neffect = "deny"\nmatch = ["tool.call"]\nargs.name = "t{i}"\n\n'
                   for i in range(500))
    t0 = time.perf_counter()
    rs = parse_rules(body)
    assert len(rs.rules) == 500
    assert time.perf_counter() - t0 < 30  # generous: shared machine
