"""On the real embedded model: ``llmos run`` on a terminal shows the status line with tokens as they come, then a time footer."""
from __future__ import annotations

import re
import sys

import pexpect
import pytest

from tests.conftest import model_available, require
from tests.daemon.harness import ROOT, Home


@pytest.mark.real_model
def test_run_on_a_terminal_shows_progress_and_a_time_footer():
    require(model_available(), "the embedded model")
    home = Home(model="")  # "" is the packaged SmolLM2 through llama.cpp; no daemon: an in-process kernel
    try:
        child = pexpect.spawn(sys.executable, ["-m", "llmos", "run", "--max-tokens", "3000", "assistant",
                                               "Write a haiku about kernels"], env=home.env, cwd=str(ROOT), encoding="utf-8",
                              timeout=300, dimensions=(30, 160))
        # the status line while it works (tokens are counted as each LLM call ends)
        child.expect(r"\[pid (\d+) · (NEW|RUNNING|READY|WAITING) [^\]]*· (\d+) tok · \d+\.\ds")
        child.expect(r"time: (\d+\.\d+)s")
        assert float(child.match.group(1)) > 0
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus in (0, 1)  # the small model may not answer well; the progress is what is tested
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", child.before or "")
        assert "Traceback" not in text
    finally:
        home.teardown()
