"""``llmos exec`` from the command line, with a kernel daemon and with a one-shot kernel (scripted model)."""
from __future__ import annotations

import json
import sys
import textwrap

import pytest

from tests.daemon.harness import Home

PROGRAM = textwrap.dedent("""
    import json, os, sys, urllib.request
    req = urllib.request.Request(os.environ["OPENAI_BASE_URL"] + "/chat/completions",
        data=json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Authorization": "Bearer " + os.environ["OPENAI_API_KEY"]})
    print("got:", json.load(urllib.request.urlopen(req))["choices"][0]["message"]["content"])
    print("bye", file=sys.stderr)
    sys.exit(int(sys.argv[1]))
""")


@pytest.fixture
def script(tmp_path):
    f = tmp_path / "prog.py"
    f.write_text(PROGRAM)
    return str(f)


def test_exec_on_the_daemon_prints_output_logs_it_and_returns_the_exit_code(home, script):
    assert home.llmos("boot").returncode == 0
    r = home.llmos("exec", "--name", "my-agent", "--budget", "tokens=5000", "--", sys.executable, script, "4")
    assert r.returncode == 4, r.stderr
    assert "you said: hi" in r.stdout and "bye" in r.stderr
    ps = json.loads(home.llmos("ps", "--json").stdout)
    row = next(p for p in ps if p["task"] == "my-agent")
    assert row["app"] == "external" and row["exit_status"] == 4 and row["tokens_out"] > 0
    logs = home.llmos("logs", str(row["pid"])).stdout
    assert "proc.output" in logs and "you said: hi" in logs and "llm.chat" in logs
    assert "llmos-" not in logs  # no key in the logs


def test_exec_without_a_daemon_runs_a_one_shot_kernel(script):
    home = Home()
    try:
        r = home.llmos("exec", "--", sys.executable, script, "0")
        assert r.returncode == 0, r.stderr
        assert "you said: hi" in r.stdout and "in-process kernel" in r.stderr
    finally:
        home.teardown()


def test_exec_reports_bad_input_in_one_line(home):
    assert home.llmos("boot").returncode == 0
    r = home.llmos("exec", "--")
    assert r.returncode != 0 and "nothing to run" in r.stderr and "Traceback" not in r.stderr
    r = home.llmos("exec", "--budget", "tokens", "--", "true")
    assert r.returncode != 0 and "KEY=NUMBER" in r.stderr
    r = home.llmos("exec", "--app", "nope", "--", "true")
    assert r.returncode == 1 and "no app named 'nope'" in r.stderr and "Traceback" not in r.stderr
    r = home.llmos("exec", "--", "/no/such/prog")
    assert r.returncode == 1 and "cannot run" in r.stderr
