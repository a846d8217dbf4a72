"""The journal keeps which engine each process ran on: a finished one shows it after a restart, a resumed one
runs on it again while it is configured, and on the routed engine once it is not."""
import shutil

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.config import EngineConf

pytestmark = pytest.mark.anyio

SLOW = """
async def run(sys, task):
    return (await sys.llm.chat(task, max_tokens=5000)).text
"""


def boot(home, registry, *, big: bool, default="from-default", big_reply="from-big", delay=0.0):
    engines = {"big": ScriptedEngine(default=" ".join([big_reply] * 3000) if delay else big_reply,
                                     token_delay=delay)} if big else {}
    cfg = KernelConfig(home=str(home), subsystems=["journal"],
                       engines={"big": EngineConf(model="scripted")} if big else {})
    return Kernel(cfg, engine=ScriptedEngine(default=default), engines=engines, registry=registry)


async def resumed(k, pid):
    """The process once the journal step has spawned it again (it does so after the boot)."""
    with anyio.fail_after(5):
        while not any(e["kind"] == "proc.resumed" for e in k.events.for_pid(pid)):
            await anyio.sleep(0.01)
    return await k.wait(pid, timeout=5)


async def test_a_resumed_process_comes_back_on_its_engine(tmp_path, registry, make_app):
    make_app("quick", code="async def run(sys, task):\n    return (await sys.llm.chat('x')).text\n")
    folder = make_app("again", code=SLOW)
    (folder / "app.toml").write_text((folder / "app.toml").read_text().replace(
        "priority = 20", 'priority = 20\nrestart = "resume"'))
    home_a, home_b, home_c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    async with boot(home_a, registry, big=True, big_reply="tok", delay=0.01) as a:
        done = await a.spawn("quick", "", engine="big")
        await a.wait(done, timeout=5)
        again = await a.spawn("again", "resume me", engine="big")
        with anyio.fail_after(5):
            while a.ptable.get(again).usage.tokens_out < 3:
                await anyio.sleep(0.01)
        shutil.copytree(home_a, home_b)  # the crash: what is on disk now is all the next kernel gets
        shutil.copytree(home_a, home_c)
    async with boot(home_b, registry, big=True) as b:
        assert (await b.wait(done, timeout=1)).engine == "big"  # restored from the journal, engine and all
        r = await resumed(b, again)
        assert (r.engine, r.exit_reason, r.result) == ("big", "exited", "from-big")
    async with boot(home_c, registry, big=False) as c:  # "big" is gone from the configuration
        r = await resumed(c, again)
        assert (r.engine, r.exit_reason, r.result) == ("default", "exited", "from-default")
