"""Rules fail closed: any rules file that does not load stops every kind of kernel, with one line naming it.

Each class of broken file (TOML syntax, unknown effect, catastrophic regex, misspelled key or condition,
a configured file that does not exist) stops the in-process kernel, ``llmos boot`` (and so the shell,
which boots through the same call), ``llmos run`` and the daemon itself, and ``llmos rules check``
prints the very same line."""
from __future__ import annotations

import argparse

import pytest

from kernel.rules import Call, RulesEngine, RulesError, parse_rules, patterns
from kernel.rules import boot as boot_rules
from llmos import daemonctl
from llmos.cli import main

pytestmark = pytest.mark.anyio

GOOD = '[[rule]]\nid = "good"\neffect = "deny"\nmatch = ["fs.write"]\nargs.path = "*.exe"\n'
# name -> (file text, line of the problem, a word the reason must contain)
BROKEN = {
    "syntax": ('[[rule]]\nid = "x"\neffect = deny\nmatch = ["fs.read"]\n', 3, "TOML"),
    "effect": ('[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.read"]\n\n[[rule]]\neffect = "block"\n'
               'match = ["fs.write"]\n', 7, "effect"),
    "catastrophic": ('[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.write"]\n'
                     'args.data = { regex = "^(a|aa)+$" }\n', 5, "backtrack"),
    "polynomial": ('[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.write"]\n'
                   'args.data = { regex = "(.*a){20}" }\n', 5, "catastrophic"),
    "misspelled-key": ('[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.write"]\nargs.path = "*.exe"\n'
                       'reasn = "typo"\n', 6, "reasn"),
    "misspelled-condition": ('[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["browser.*"]\n'
                             'args.url = { domian = ["bank.example"] }\n', 5, "domian"),
    "top-level": ('rules = 3\n[[rule]]\nid = "x"\neffect = "deny"\nmatch = ["fs.write"]\n', 1, "rules"),
}


def home_with(tmp_path, kind: str):
    """A home whose rules folder holds a good file and a broken one; (home, broken file, extra files)."""
    home = tmp_path / "home"
    (home / "rules").mkdir(parents=True)
    (home / "rules" / "a-good.toml").write_text(GOOD)
    if kind == "missing":
        missing = tmp_path / "not-there.toml"
        return home, missing, [str(missing)]
    bad = home / "rules" / f"b-{kind}.toml"
    bad.write_text(BROKEN[kind][0])
    return home, bad, []


CASES = [*BROKEN, "missing"]


def expected(kind: str, bad) -> tuple[str, int | None, str]:
    if kind == "missing":
        return str(bad), None, "no such rules file"
    _, line, word = BROKEN[kind]
    return str(bad), line, word


@pytest.mark.parametrize("kind", CASES)
async def test_the_kernel_does_not_boot_with_a_rules_file_that_does_not_load(kernel_factory, tmp_path, kind):
    home, bad, extra = home_with(tmp_path, kind)
    k = kernel_factory(subsystems=["rules"], rules_files=extra)
    with pytest.raises(RulesError) as info:
        async with k:
            pytest.fail("the kernel booted with fewer rules than were written")
    file, line, word = expected(kind, bad)
    assert (info.value.file, info.value.line) == (file, line)
    assert word in info.value.reason
    assert k.rules is None  # no gate with part of the rules was ever put in place


@pytest.mark.parametrize("kind", CASES)
def test_boot_run_daemon_and_rules_check_say_the_same_one_line(tmp_path, monkeypatch, capsys, kind):
    home, bad, extra = home_with(tmp_path, kind)
    monkeypatch.setenv("LLMOS_HOME", str(home))
    monkeypatch.setenv("LLMOS_RULES", ":".join(extra)) if extra else monkeypatch.delenv("LLMOS_RULES", raising=False)
    file, line, _ = expected(kind, bad)
    where = f"{file}:{line}" if line is not None else file

    assert main(["rules", "check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"llmos: {where}: ") and "\n" not in err
    line_of_check = err

    assert main(["boot", "--model", "scripted"]) == 1  # refused before any daemon is started
    assert capsys.readouterr().err.strip() == line_of_check
    assert daemonctl.is_running(home) is None

    assert main(["run", "--model", "scripted", "assistant", "hello"]) == 1  # the in-process kernel
    assert capsys.readouterr().err.strip().splitlines()[-1] == line_of_check

    from llmos.commands.daemon import main as daemon_main  # the daemon itself, were it started anyway
    ns = argparse.Namespace(home=str(home), model="scripted", slots=None, policy=None)
    assert daemon_main(ns) == 1
    assert capsys.readouterr().err.strip() == line_of_check
    assert not (home / "kernel.pid").exists()


def test_rules_check_of_one_file_gives_the_same_line(tmp_path, capsys):
    home, bad, _ = home_with(tmp_path, "effect")
    assert main(["rules", "check", str(bad)]) == 1
    assert capsys.readouterr().err.strip() == f"llmos: {bad}:7: rule #2: effect must be one of allow, deny, ask; got 'block'"


async def test_a_rules_boot_step_that_raises_stops_the_boot(kernel_factory, monkeypatch):
    def broken(k):
        raise RuntimeError("the gate could not be built")
    monkeypatch.setattr(boot_rules, "build_gate", broken)
    k = kernel_factory(subsystems=["rules"])
    with pytest.raises(RuntimeError, match="gate could not be built"):
        async with k:
            pytest.fail("the kernel booted without its rules")
    assert k.rules is None
    sub = [e for e in k.events.recent if e["kind"] == "kernel.subsystem" and e.get("name") == "rules"]
    assert sub and sub[-1]["ok"] is False


async def test_unlisted_apps_stop_the_boot_rather_than_dropping_app_rules(kernel_factory, monkeypatch):
    k = kernel_factory(subsystems=["rules"])

    def no_listing():
        raise OSError("apps folder unreadable")
    monkeypatch.setattr(k.registry, "all", no_listing)
    with pytest.raises(RulesError, match="cannot list the installed apps"):
        async with k:
            pytest.fail("booted without the apps' rules")


async def test_other_subsystems_still_may_fail_without_stopping_the_boot(kernel_factory):
    async with kernel_factory(subsystems=["nope", "rules"]) as k:
        assert k.rules is not None


@pytest.mark.skipif(not patterns.HAVE_REGEX_TIMEOUT, reason="needs the `regex` module")
def test_a_regex_that_runs_out_of_time_in_an_allow_rule_denies(monkeypatch):
    """A permissive rule that cannot be evaluated does not fall through to a permissive default."""
    monkeypatch.setattr(patterns, "REGEX_TIMEOUT_S", 0.001)
    rs = parse_rules('[[rule]]\nid = "ok-data"\neffect = "allow"\nmatch = ["fs.write"]\n'
                     'args.data = { regex = "a+b?$" }\n')
    eng = RulesEngine([rs], default="ask")
    d = eng.decide(Call(name="fs.write", args={"data": "a" * 16_000 + "!"}, app="x"))
    assert d.effect == "deny" and "rules engine error" in d.reason
    assert eng.decide(Call(name="fs.write", args={"data": "aab"}, app="x")).effect == "allow"


@pytest.mark.parametrize("kind", ["effect", "missing"])
async def test_the_shell_does_not_boot_a_kernel_with_a_broken_rules_file(tmp_path, monkeypatch, kind):
    import io

    from llmos.shell.repl import Shell
    home, bad, extra = home_with(tmp_path, kind)
    monkeypatch.setenv("LLMOS_RULES", ":".join(extra)) if extra else monkeypatch.delenv("LLMOS_RULES", raising=False)
    out = io.StringIO()
    shell = Shell(home, session=object(), out=out)  # the prompt is never reached
    assert await shell.run() == 1
    file, line, _ = expected(kind, bad)
    where = f"{file}:{line}" if line is not None else file
    assert out.getvalue().splitlines()[-1].startswith(f"llmos: cannot start the kernel: {where}: ")
    assert daemonctl.is_running(home) is None
