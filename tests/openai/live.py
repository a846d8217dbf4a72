"""A live daemon on the real embedded model for the OpenAI-package tests, and keys for sleeping processes."""
from __future__ import annotations

import sys

import anyio

from llmos.client import Client
from tests.daemon.harness import Home

SLEEP = [sys.executable, "-c", "import time; time.sleep(900)"]


class LiveDaemon:
    """``Home(model="")`` booted, with rules from ``rules``; ``process()`` starts a sleeper and returns its key."""

    def __init__(self, rules: str = ""):
        self.home = Home(model="")
        self.home.env["LLMOS_SYSCALL_TIMEOUT"] = "900"  # a loaded test machine queues calls for minutes
        if rules:
            (self.home.path / "rules").mkdir(exist_ok=True)
            (self.home.path / "rules" / "test.toml").write_text(rules)
        r = self.home.llmos("boot", timeout=300)
        if r.returncode != 0:
            self.home.teardown()
            raise RuntimeError(f"boot failed: {r.stderr}")

    def call(self, req):
        async def go():
            async with Client(self.home.path) as c:
                return await c.call(req)
        return anyio.run(go)

    def process(self, **kw) -> tuple[int, str, str]:
        """(pid, key, base url) of a new external process that only sleeps."""
        from kernel.api import messages as m
        started = self.call(m.Exec(argv=SLEEP, **kw))
        got = self.call(m.ApiKey(pid=started["pid"]))
        return started["pid"], got["key"], got["url"]

    def kill(self, pid: int, sig: str = "KILL") -> None:
        from kernel.api import messages as m
        self.call(m.Kill(pid=pid, signal=sig))

    def ps(self) -> dict[int, dict]:
        from kernel.api import messages as m
        return {p["pid"]: p for p in self.call(m.Ps(all=True))}

    def status(self) -> dict:
        from kernel.api import messages as m
        return self.call(m.Status())

    def close(self) -> None:
        self.home.teardown()
