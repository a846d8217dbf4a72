"""The syscall names rules know are the syscall table's: a rule on a real syscall loads quietly, one on a
name no syscall has gets the 'typo?' warning."""
from __future__ import annotations

import pytest

from kernel.rules.parse import parse_rules
from syscalls.table import TABLE


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_syscall_in_the_table_is_known_to_the_rules(name):
    rs = parse_rules(f'[[rule]]\nmatch = "{name}"\neffect = "deny"\n', source="r.toml")
    assert rs.warnings == []


@pytest.mark.parametrize("name", ["browser.submit", "fs.format", "mem.learnn"])
def test_a_name_no_syscall_has_is_flagged(name):
    rs = parse_rules(f'[[rule]]\nmatch = "{name}"\neffect = "deny"\n', source="r.toml")
    assert any("matches no known syscall" in w for w in rs.warnings), rs.warnings
