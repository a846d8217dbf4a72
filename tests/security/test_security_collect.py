"""Files brought back from a sandbox run are bounded in number and total size, and come back whole or not at all."""
from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

MANY = "import os\nos.makedirs('out', exist_ok=True)\nfor i in range({n}):\n    open(f'out/f{{i}}', 'w').write('x')\n"


async def test_forty_thousand_files_are_not_brought_back(sb):
    r = await sb.exec("many", "python", MANY.format(n=40_000), collect=["out"], timeout=120)
    assert r.ok, r.stderr
    assert r.files_out == {}
    assert len(r.refused) == 1 and "nothing collected" in r.refused[0] and "files_out_count" in r.refused[0]


async def test_the_count_bound_is_configurable_and_spans_every_path(sb):
    code = MANY.format(n=6) + "os.makedirs('more', exist_ok=True)\nopen('more/g', 'w').write('y')\n"
    r = await sb.exec("few", "python", code, collect=["out", "more"], limits={"files_out_count": 7})
    assert len(r.files_out) == 7 and r.refused == []
    r = await sb.exec("few", "python", code, collect=["out", "more"], limits={"files_out_count": 6})
    assert r.files_out == {}  # the second path tipped it over: the first is not kept either
    assert "more than 6 files" in r.refused[0]


async def test_the_total_size_bound_takes_nothing_back(sb):
    # the archive fits the framing allowance, its files together do not
    code = "import os\nos.makedirs('out')\nfor i in range(3):\n    open(f'out/f{i}', 'wb').write(b'z' * 350_000)\n"
    r = await sb.exec("size", "python", code, collect=["out"],
                      limits={"file_out_bytes": 1_000_000, "files_out_bytes": 1_000_000})
    assert r.files_out == {} and "more than 1000000 bytes in total" in r.refused[0]


async def test_the_workspace_gets_none_of_an_oversized_collection(kernel_factory, make_app):
    make_app("flood", syscalls=("tool.*", "fs.*", "proc.*"), tools=("python",), code="""
        async def run(sys, task):
            r = await sys.tool.call("python", collect=["out"], code="import os\\nos.makedirs('out')\\n"
                                    "for i in range(50):\\n    open(f'out/f{i}', 'w').write('x')\\n")
            return {"output": r.output, "data": r.data}
        """)
    async with kernel_factory(subsystems=["sandbox"], sandbox_limits={"files_out_count": 20}) as k:
        pid = await k.spawn("flood")
        p = await k.wait(pid, timeout=120)
        assert p.exit_reason == "exited", p.error
        res = json.loads(p.result)
        assert res["data"]["saved"] == []
        assert any("nothing collected" in x for x in res["data"]["refused"])
        assert not (k.workspace_path(pid) / "out").exists()
