"""``llmos mem`` from the CLI and the shell: through a real daemon on its socket, and on the store when none runs."""
from __future__ import annotations

import io
import re

import anyio
from prompt_toolkit import PromptSession
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from llmos.shell.repl import Shell


def test_mem_commands_through_the_daemon_and_after_it(home):
    assert home.llmos("boot").returncode == 0
    r = home.llmos("mem", "store", "I prefer aisle seats on long flights", "--kind", "preference", "--user", "ann")
    assert r.returncode == 0, r.stderr
    assert re.match(r"stored m-\w+ in user:ann \(preference\)", r.stdout)
    assert home.llmos("mem", "store", "Deploys happen on Tuesdays", "--app", "ops").returncode == 0
    r = home.llmos("mem", "search", "which seat should I book?", "--user", "ann")
    assert r.returncode == 0 and "I prefer aisle seats" in r.stdout and "Deploys" not in r.stdout
    r = home.llmos("mem", "search", "when do we deploy", "--app", "ops")
    assert "Deploys happen on Tuesdays" in r.stdout.splitlines()[0]
    r = home.llmos("mem", "list")
    assert "user:ann" in r.stdout and "app:ops" in r.stdout
    mid = re.search(r"(m-\w+)\s+app:ops", r.stdout).group(1)
    r = home.llmos("mem", "forget", "m-doesnotexist")
    assert r.returncode == 1 and "no memory 'm-doesnotexist'" in r.stderr and "Traceback" not in r.stderr
    r = home.llmos("mem", "store", "x", "--user", "ann", "--app", "ops")
    assert r.returncode == 1 and "not both" in r.stderr
    assert home.llmos("mem", "forget", mid).returncode == 0
    anyio.run(shell_session, home)
    assert home.llmos("halt").returncode == 0

    r = home.llmos("mem", "list")  # no daemon now: the CLI opens the store itself; it all survived
    assert r.returncode == 0 and "I prefer aisle seats" in r.stdout and "Deploys" not in r.stdout
    assert "without sugar" in r.stdout


async def shell_session(home):
    out = io.StringIO()
    with create_pipe_input() as inp:
        sh = Shell(home.path, session=PromptSession(input=inp, output=DummyOutput()), out=out)
        inp.send_text("mem store I like my tea without sugar --kind preference\r")
        inp.send_text("mem search how do I take my tea\r")
        inp.send_text("mem frobnicate\r")
        inp.send_text("\x04")
        assert await sh.run() == 0
    text = out.getvalue()
    assert "(preference)" in text and "I like my tea without sugar" in text
    assert "usage: mem store TEXT" in text
