"""The "rules" boot step: which files load, scoping of app rules, and a broken file that stops the boot."""
from __future__ import annotations

import pytest

from kernel.syscall.dispatch import dispatch
from syscalls import fs
from syscalls.errors import Denied

pytestmark = pytest.mark.anyio

IDLE = '''
async def run(sys, task):
    await sys.proc.recv()
'''


async def idle(k, app):
    pid = await k.spawn(app, "")
    return k.ptable.get(pid)


async def test_user_app_and_configured_rules_load_and_app_rules_stay_in_their_app(
        kernel_factory, make_app, tmp_path):
    home = tmp_path / "home"
    (home / "rules").mkdir(parents=True)
    (home / "rules" / "mine.toml").write_text(
        '[[rule]]\nid = "user.no-secrets"\neffect = "deny"\nmatch = ["fs.write"]\n'
        'args.path = "secret/**"\nreason = "secrets stay put"\n')
    folder = make_app("alpha", code=IDLE, syscalls=["fs.*", "proc.*"])
    make_app("beta", code=IDLE, syscalls=["fs.*", "proc.*"])
    (folder / "rules.toml").write_text(  # names beta, but an app's file only ever speaks for itself
        '[[rule]]\nid = "alpha.no-logs"\neffect = "deny"\nmatch = ["fs.write"]\napp = ["beta"]\n'
        'args.path = "*.log"\nreason = "alpha keeps no logs"\n')
    extra = tmp_path / "extra.toml"
    extra.write_text('[[rule]]\nid = "extra.no-tmp"\neffect = "deny"\nmatch = ["fs.write"]\n'
                     'args.path = "*.tmp"\n')
    async with kernel_factory(subsystems=["rules"], rules_files=[str(extra)]) as k:
        loaded = next(e for e in k.events.recent if e["kind"] == "rules.loaded")
        assert loaded["errors"] == 0 and len(loaded["files"]) == 4
        alpha, beta = await idle(k, "alpha"), await idle(k, "beta")
        with pytest.raises(Denied, match="secrets stay put"):
            await dispatch(k, alpha, fs.Write(path="secret/key", data="x"))
        with pytest.raises(Denied, match="alpha keeps no logs"):
            await dispatch(k, alpha, fs.Write(path="run.log", data="x"))
        await dispatch(k, beta, fs.Write(path="run.log", data="x"))  # not alpha's business
        with pytest.raises(Denied):
            await dispatch(k, beta, fs.Write(path="x.tmp", data="x"))
        decision = [e for e in k.events.for_pid(alpha.pid) if e["kind"] == "rules.decision"][-1]
        assert decision["rule"] == "alpha.no-logs" and decision["effect"] == "deny"


async def test_a_broken_file_stops_the_boot_and_is_named_with_its_line(
        kernel_factory, make_app, tmp_path):
    """Fail closed: the good file next to a broken one does not make the broken one's denies optional."""
    from kernel.rules import RulesError
    home = tmp_path / "home"
    (home / "rules").mkdir(parents=True)
    (home / "rules" / "a-broken.toml").write_text(
        '[[rule]]\nid = "broken"\neffect = "deny"\nmatch = ["fs.read"]\n\n[[rule]]\neffect = "maybe"\n'
        'match = ["fs.write"]\n')
    (home / "rules" / "b-good.toml").write_text(
        '[[rule]]\nid = "good"\neffect = "deny"\nmatch = ["fs.write"]\nargs.path = "*.exe"\n')
    make_app("alpha", code=IDLE, syscalls=["fs.*", "proc.*"])
    k = kernel_factory(subsystems=["rules"])
    with pytest.raises(RulesError) as info:
        async with k:
            pytest.fail("the kernel booted with a rules file that does not load")
    err = info.value
    assert err.file.endswith("a-broken.toml") and err.line == 7 and "effect" in err.reason
    event = next(e for e in k.events.recent if e["kind"] == "rules.load_error")
    assert event["file"] == err.file and event["line"] == 7
