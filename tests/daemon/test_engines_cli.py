"""Several engines through the real CLI and daemon: `llmos run --engine`, the ENGINE column of `llmos ps`, and
each engine's slots in `llmos status`."""
from __future__ import annotations

import pytest

from tests.daemon.harness import Home

TOML = """[engines.big]
model = "scripted"
n_slots = 2
n_ctx = 16384

[apps]
assistant = "big"
"""


@pytest.fixture
def booted():
    h = Home()
    (h.path / "llmos.toml").write_text(TOML)
    try:
        r = h.llmos("boot")
        assert r.returncode == 0, r.stderr
        yield h
    finally:
        h.teardown()


def test_run_on_a_named_engine_and_see_it_in_ps_and_status(booted):
    r = booted.llmos("run", "assistant", "hello there")  # the person's [apps] mapping: on "big"
    assert r.returncode == 0 and r.stdout.strip() == "you said: hello there", r.stderr
    r = booted.llmos("run", "--engine", "default", "assistant", "again")  # --engine wins over the mapping
    assert r.returncode == 0 and r.stdout.strip() == "you said: again", r.stderr
    ps = booted.llmos("ps", "-a").stdout.splitlines()
    assert ps[0].split()[:5] == ["PID", "PPID", "APP", "ENGINE", "STATE"]
    assert [line.split()[2:4] for line in ps[1:]] == [["assistant", "big"], ["assistant", "default"]]
    st = booted.llmos("status").stdout
    assert "slots: 0/4 busy" in st  # the default engine's, as before
    assert "engine default: model scripted, slots 0/4 busy, 0 queued, 1024 tokens a process" in st
    assert "engine big: model scripted, slots 0/2 busy, 0 queued, 8192 tokens a process" in st


def test_run_on_an_engine_no_one_configured_is_one_line_and_starts_nothing(booted):
    r = booted.llmos("run", "--engine", "huge", "assistant", "hi")
    assert r.returncode != 0 and r.stdout == ""
    assert r.stderr.strip().splitlines()[-1].endswith(
        "--engine huge: this kernel has no engine 'huge' (engines: default, big)"), r.stderr
    assert "Traceback" not in r.stderr
    assert booted.llmos("ps", "-a").stdout.splitlines()[1:] == []
