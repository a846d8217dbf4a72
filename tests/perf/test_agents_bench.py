"""The agent-programs benchmark's plumbing on the scripted engine: the workload, the llmos app, the
summary and the report section with its plot (the figures themselves come from `make bench`)."""
from __future__ import annotations

import anyio

from benchmarks import agents, agents_report


def test_workload_is_fixed_by_its_seed_and_sized_as_asked():
    a, b = agents.workload(3, 4), agents.workload(3, 4)
    assert a == b and len(a["programs"]) == 3
    assert all(len(p["waits"]) == 4 and all(0.3 <= w <= 2.5 for w in p["waits"]) for p in a["programs"])
    assert len(a["system"].split()) > 250 and all(len(o.split()) > 80 for o in a["programs"][0]["observations"])
    assert agents.workload(3, 4, seed=1) != a


def test_sizes_from_the_environment(monkeypatch):
    monkeypatch.setenv("LLMOS_BENCH_AGENTS", "4,16")
    monkeypatch.setenv("LLMOS_BENCH_AGENT_STEPS", "3")
    assert agents.sizes() == ((4, 16), 3)


def test_llmos_backends_run_the_app_and_the_report_is_written(tmp_path):
    spec = agents.workload(4, 2)
    for p in spec["programs"]:
        p["waits"] = [0.05, 0.05]
    results = {}
    for name, cfg in (("llmos", agents.BACKENDS["llmos"]), ("llmos+", agents.BACKENDS["llmos+"])):
        r = anyio.run(lambda cfg=cfg: agents.run_llmos(spec, model="scripted", **cfg))
        assert r["failures"] == 0 and r["programs"] == 4 and len(r["times"]) == 4
        assert 0 < r["p50_s"] <= r["p95_s"] <= r["max_s"] == r["makespan_s"]
        results[name] = {"4": r}
    results["llama-server"] = {"4": {**results["llmos"]["4"], "mean_s": results["llmos"]["4"]["mean_s"] * 2}}
    a = {"counts": [4], "steps": 2, "slots": 4, "n_ctx": 8192, "threads": 2, "max_tokens": 24, "wait_s": [0.3, 2.5],
         "kv_store_mb": 256, "results": results}
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nearlier sections\n")
    agents_report.update(doc, a)
    agents_report.update(doc, a)  # a second run replaces the section
    text = doc.read_text()
    assert text.count("## Agent programs") == 1 and "earlier sections" in text
    assert "| 4 | llmos | " in text and "0.50x" in text  # llmos against a server twice as slow
    assert (tmp_path / agents_report.IMAGE).stat().st_size > 1000
