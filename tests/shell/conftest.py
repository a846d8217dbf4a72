import sys

import pexpect
import pytest

from tests.daemon.harness import ROOT

PROMPT = "llmos>"


@pytest.fixture
def shell(home):
    """The real ``llmos shell`` in a pseudo-terminal (it boots the daemon itself)."""
    child = pexpect.spawn(sys.executable, ["-m", "llmos", "shell"], env=home.env, cwd=str(ROOT),
                          encoding="utf-8", timeout=60, dimensions=(40, 160))
    child.home = home
    try:
        child.expect("no kernel was running; booting one")
        child.expect(PROMPT)
        yield child
    finally:
        if child.isalive():
            child.sendeof()
            try:
                child.expect(pexpect.EOF, timeout=20)
            except pexpect.TIMEOUT:
                child.terminate(force=True)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def booted(home):
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    return home
