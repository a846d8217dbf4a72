"""The benchmark helper runs and reports the numbers it promises (no timing assertions)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_benchmark_helper_reports_percentiles():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "rules.py"
    spec = importlib.util.spec_from_file_location("rules_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.run(rounds=1, n_calls=20)
    for key in ("10_rules", "1000_rules"):
        assert out[key]["p50_us"] > 0 and out[key]["p99_us"] >= out[key]["p50_us"]
