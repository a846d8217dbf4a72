"""After a crash the next boot removes the containers earlier boots of this home left behind, and
only those: another kernel's containers on the same engine are left alone."""
import time
import uuid

import anyio
import pytest

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.reliability.journal import Journal, Record
from sandbox import Sandbox, SandboxError, image_exists, image_tag
from sandbox.engine import connect
from tests.conftest import require

pytestmark = pytest.mark.anyio


def _client():
    try:
        c = connect()
    except SandboxError:
        return None
    return c if image_exists(c, image_tag()) else None


async def test_orphaned_containers_of_this_home_are_removed(tmp_path, registry):
    client = _client()
    require(client is not None, "a Docker engine with the sandbox image")
    tag = uuid.uuid4().hex[:8]
    ours, theirs, new = f"reltest-old-{tag}", f"reltest-other-{tag}", f"reltest-new-{tag}"
    made = [client.api.create_container(image_tag(), ["true"], labels={"llmos.sandbox": "1", "llmos.kernel": k})["Id"]
            for k in (ours, theirs)]
    try:
        home = tmp_path / "h"
        j = Journal(home / "state" / "journal.bin").open()
        j.append(Record(kind="boot", boot="b1", ts=time.time() - 60),
                 Record(kind="sandbox", boot="b1", ts=time.time() - 60, task=ours))
        j.close()
        cfg = KernelConfig(home=str(home), subsystems=["journal"])
        async with Kernel(cfg, engine=ScriptedEngine(default="x"), registry=registry,
                          sandbox=Sandbox(kernel_id=new)) as k:
            with anyio.fail_after(30):
                while not any(e["kind"] == "kernel.orphans" for e in k.events.recent):
                    await anyio.sleep(0.05)
            (ev,) = [e for e in k.events.recent if e["kind"] == "kernel.orphans"]
            assert ev["containers"] == 1
        left = {c["Id"] for c in client.api.containers(all=True, filters={"label": "llmos.sandbox=1"})}
        assert made[0] not in left and made[1] in left  # ours removed, the other kernel's kept
        recs, _ = Journal(home / "state" / "journal.bin").read()
        assert [r.task for r in recs if r.kind == "sandbox"] == [new]  # the next boot looks for these
    finally:
        for cid in made:
            try:
                client.api.remove_container(cid, force=True, v=True)
            except Exception:
                pass
        client.close()
