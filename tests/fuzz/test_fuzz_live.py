"""Fuzzing a live kernel: many processes issue random (often malformed) syscall sequences at once.
Whatever they send, each gets a reply or a typed error, no handler crashes, every process ends with
an exit status, and nothing is left holding a slot."""
from __future__ import annotations

import json

import anyio
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig

from .conftest import FUZZ, LONG

FUZZER = """
import json
from syscalls.errors import SyscallError
async def run(sys, task):
    out = []
    for raw in json.loads(task):
        try:
            await sys.transport.call(raw.encode())
            out.append("ok")
        except SyscallError as e:
            out.append(e.code)
    return out
"""
PATHS = st.sampled_from(["a.txt", "d/b.txt", "../x", "/etc/passwd", "", ".", "d", "~/x", "a\x00b", "é/ü"])
TEXT = st.text(max_size=30)


def _req(call, **args):
    return json.dumps({"call": call, **args})


CALLS = st.one_of(
    st.builds(lambda p, d: _req("fs.write", path=p, data=d), PATHS, TEXT),
    st.builds(lambda p: _req("fs.read", path=p), PATHS),
    st.builds(lambda p: _req("fs.stat", path=p), PATHS),
    st.builds(lambda p: _req("fs.list", path=p), PATHS),
    st.builds(lambda p: _req("fs.delete", path=p), PATHS),
    st.builds(lambda t, n: _req("llm.chat", messages=[{"role": "user", "content": t}], max_tokens=n),
              TEXT, st.integers(-2, 40)),
    st.builds(lambda t: _req("llm.complete", prompt=t, max_tokens=4), TEXT),
    st.builds(lambda: _req("llm.json", messages=[{"role": "user", "content": "x"}], schema={"type": "object"})),
    st.builds(lambda e: _req("tool.call", name="calculator", args={"expression": e}), TEXT),
    st.builds(lambda n: _req("tool.call", name=n, args={}), st.sampled_from(["clock", "python", "nope", ""])),
    st.builds(lambda: _req("tool.list")),
    st.builds(lambda: _req("proc.ps")),
    st.builds(lambda pid, sig: _req("proc.kill", pid=pid, signal=sig), st.integers(-1, 40),
              st.sampled_from(["TERM", "KILL", "STOP", "HUP"])),
    st.builds(lambda pid: _req("proc.wait", pid=pid, timeout=0.2), st.integers(-1, 40)),
    st.builds(lambda a, t: _req("proc.spawn", app=a, task=t), st.sampled_from(["fuzzer", "nope"]),
              st.just("[]")),
    st.builds(lambda t: _req("mem.store", text=t), TEXT),
    st.builds(lambda: _req("browser.open", url="http://127.0.0.1:9/")),
    st.builds(lambda t: _req("user.notify", text=t), TEXT),
    st.builds(lambda c, junk: json.dumps({"call": c, "junk": junk}), st.sampled_from(["fs.read", "nope", 3]),
              TEXT),
    st.text(max_size=40),
)
KNOWN = {"ok", "invalid", "permission", "denied", "not_found", "timeout", "unavailable", "looping",
         "llm_error", "budget", "terminated", "error"}


async def _run(programs: list[list[str]], tmp_path, registry) -> None:
    cfg = KernelConfig(home=str(tmp_path), subsystems=["watchdog", "journal"], syscall_timeout=5, term_grace=0.5)
    eng = ScriptedEngine(default=lambda req: f"reply {len(eng.requests)}", n_slots=2)
    async with Kernel(cfg, engine=eng, registry=registry) as k:
        pids = [await k.spawn("fuzzer", json.dumps(p)) for p in programs]
        with anyio.fail_after(60):
            for pid in pids:
                p = await k.wait(pid)
                assert p.exit_status is not None
                if p.exit_reason == "exited":
                    assert set(json.loads(p.result)) <= KNOWN, p.result
                else:  # another fuzzer may kill or stop it; the watchdog may end a loop
                    assert p.exit_reason in ("killed", "terminated", "looping", "error"), (p.exit_reason, p.error)
            while any(q.alive for q in k.ptable):  # children spawned by the programs
                for q in k.ptable:
                    if q.alive and q.state.value == "STOPPED":
                        k.signal(q.pid, "KILL")
                await anyio.sleep(0.01)
        crashes = [e for e in k.events.recent if e["kind"] in ("syscall.crash", "proc.crash")]
        assert not crashes, crashes[0]
        assert k.sched.busy == 0 and eng.stats().busy_slots == 0


@pytest.fixture
def fuzz_app(make_app):
    make_app("fuzzer", code=FUZZER, syscalls=["*"], tools=["calculator", "clock"], spawn=["fuzzer"])


@settings(FUZZ, max_examples=400 if LONG else 8)  # each example boots a kernel
@given(st.lists(st.lists(CALLS, max_size=10), min_size=2, max_size=12))
@example(programs=[[], [_req("fs.write", path="d", data=""), _req("fs.write", path="d/b.txt", data="")]])
def test_fuzz_random_syscalls_from_many_processes(fuzz_app, tmp_path_factory, registry, programs):
    anyio.run(_run, programs, tmp_path_factory.mktemp("home"), registry)

