"""The kernel flags are declared once: every command that takes them offers the same choices, and each maps
onto the same configuration field."""
from __future__ import annotations

import argparse

import pytest

from kernel.sched.scheduler import POLICIES
from llmos.cli import build_parser
from llmos.kflags import config_from


@pytest.mark.parametrize("argv", [["run", "assistant", "hi"], ["boot"], ["daemon"]])
def test_every_policy_is_offered_by_every_command_that_boots_a_kernel(argv):
    for policy in POLICIES:
        args = build_parser().parse_args([*argv, "--policy", policy, "--slots", "3"])
        assert (args.policy, args.slots) == (policy, 3)


@pytest.mark.parametrize("argv", [["run", "assistant", "hi"], ["boot"], ["daemon"], ["eval", "pal", "math"]])
def test_a_slot_count_below_one_is_refused_by_every_command(argv, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--slots", "0"])
    assert "--slots" in capsys.readouterr().err


def test_flags_a_command_lacks_are_left_to_the_configuration(monkeypatch):
    monkeypatch.setenv("LLMOS_POLICY", "plas")
    cfg = config_from(argparse.Namespace(model=None, slots=2))  # eval has no --policy: the environment's stands
    assert (cfg.n_slots, cfg.policy) == (2, "plas")
