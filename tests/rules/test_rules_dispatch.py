"""Bad and obfuscated input through the kernel's dispatch with the rules attached: typed errors, fail closed."""
from __future__ import annotations

import anyio
import pytest

from kernel.rules import patterns
from kernel.syscall.dispatch import dispatch
from syscalls import browser, fs
from syscalls.errors import Denied, InvalidArgument

pytestmark = pytest.mark.anyio

IDLE = '''
async def run(sys, task):
    await sys.proc.recv()
'''
RULES = r'''
[[rule]]
id = "private-never"
effect = "deny"
match = ["fs.*"]
args.path = "private/**"
reason = "private files are off limits"

[[rule]]
id = "bank-never"
effect = "deny"
match = ["browser.*"]
args.url = { domain = ["bank.example", "*.bank.example"] }
reason = "never my bank"

[[rule]]
id = "slow-regex"
effect = "deny"
match = ["fs.write"]
args.data = { regex = "a+b?$" }
reason = "quadratic on a long run of a's: the time budget stops it"
'''


@pytest.fixture
async def kp(kernel_factory, make_app, tmp_path):
    (tmp_path / "home" / "rules").mkdir(parents=True)
    (tmp_path / "home" / "rules" / "test.toml").write_text(RULES)
    make_app("idle", code=IDLE, syscalls=["fs.*", "proc.*", "browser.*", "tool.*"])
    async with kernel_factory(subsystems=["rules"]) as k:
        pid = await k.spawn("idle", "")
        await anyio.sleep(0.01)
        yield k, k.ptable.get(pid)


def decisions(k, pid):
    return [e for e in k.events.for_pid(pid) if e["kind"] == "rules.decision"]


@pytest.mark.parametrize("raw", [
    b'{"call": "fs.format", "path": "x"}',  # unknown syscall
    b'{"call": "fs.read", "path": "a", "mode": "rw"}',  # extra argument
    b'{"call": "fs.read", "path": 7}',  # wrong type
    b'{"call": "fs.read", "path": "' + b"a/" * 3000 + b'"}',  # oversized
])
async def test_malformed_calls_are_invalid_before_any_rule_runs(kp, raw):
    k, proc = kp
    before = len(decisions(k, proc.pid))
    with pytest.raises(InvalidArgument):
        await dispatch(k, proc, raw)
    assert len(decisions(k, proc.pid)) == before


@pytest.mark.parametrize("path", [
    "private/diary.txt", "public/../private/diary.txt", "public/%2e%2e/private/diary.txt",
    "public/%252e%252e/private/diary.txt", "./private/./diary.txt", "public\\..\\private\\diary.txt",
    "ｐｒｉｖａｔｅ/diary.txt",  # fullwidth letters fold to "private"
])
async def test_obfuscated_paths_hit_the_deny(kp, path):
    k, proc = kp
    with pytest.raises(Denied, match="off limits"):
        await dispatch(k, proc, fs.Read(path=path))
    assert decisions(k, proc.pid)[-1]["rule"] == "private-never"


@pytest.mark.parametrize("url", [
    "https://bank.example/", "https://bаnk.example/login",  # Cyrillic а
    "https://xn--bnk-6cd.example/", "https://ｂａｎｋ.example/", "https://BANK.example./",
    "https://travel.example@bank.example/",
])
async def test_homoglyph_and_disguised_domains_hit_the_deny(kp, url):
    k, proc = kp
    with pytest.raises(Denied, match="never my bank"):
        await dispatch(k, proc, browser.Open(url=url))


async def test_catastrophic_regex_is_refused_at_load_and_the_kernel_does_not_boot(kernel_factory, tmp_path):
    from kernel.rules import RulesError
    (tmp_path / "home" / "rules").mkdir(parents=True)
    (tmp_path / "home" / "rules" / "zz-catastrophic.toml").write_text(
        '[[rule]]\nid = "evil"\neffect = "allow"\nmatch = ["fs.write"]\nargs.data = { regex = "^(a+)+$" }\n')
    with pytest.raises(RulesError) as info:
        async with kernel_factory(subsystems=["rules"]):
            pytest.fail("booted without the catastrophic file's rules")
    err = info.value
    assert err.file.endswith("zz-catastrophic.toml") and err.line == 5 and "catastrophic" in err.reason


@pytest.mark.skipif(not patterns.HAVE_REGEX_TIMEOUT, reason="needs the `regex` module")
async def test_a_slow_regex_is_stopped_by_its_time_budget(kp, monkeypatch):
    k, proc = kp
    monkeypatch.setattr(patterns, "REGEX_TIMEOUT_S", 0.05)
    with anyio.fail_after(30):  # a hang guard, not a timing assertion
        with pytest.raises(Denied):  # cannot tell in time: a deny rule counts as matching
            await dispatch(k, proc, fs.Write(path="x.txt", data="a" * 200_000 + "!"))
    await dispatch(k, proc, fs.Write(path="y.txt", data="hello"))  # and the kernel carries on


async def test_an_evaluator_exception_denies(kp, monkeypatch):
    k, proc = kp
    rule = next(r for r in k.rules.engine.rules if r.id == "private-never")

    def broken(call, memo=None):
        raise RuntimeError("bug in a condition")
    broken.describe = lambda: "broken"
    monkeypatch.setattr(rule, "conditions", [broken])
    with pytest.raises(Denied, match="rules engine error"):
        await dispatch(k, proc, fs.Read(path="anything.txt"))
    assert decisions(k, proc.pid)[-1]["effect"] == "deny"


async def test_a_failing_taint_hook_denies(kp, monkeypatch):
    k, proc = kp
    monkeypatch.setattr(k.rules, "_untrusted", lambda *a: 1 / 0)
    with pytest.raises(Denied, match="rules engine error"):
        await dispatch(k, proc, fs.Write(path="x.txt", data="x"))
