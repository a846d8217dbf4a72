"""make bench-compare: the same-run ratios of two runs side by side, a figure one run lacks left out."""
from __future__ import annotations

import copy

from benchmarks import compare
from tests.perf.test_perf_report import _results


def test_ratios_read_every_section_a_run_has():
    got = compare.ratios(_results())
    assert got["llmos / bare llama.cpp decode, 8 processes"] == (0.5, True)
    assert got["llmos / naive one-slot server, 8 processes"] == (3.0, True)
    assert got["single stream: llmos / bare llama-cpp-python"] == (0.95, True)
    assert got["prefix cache: miss / hit time to first token"][0] == 1.55 / 0.11
    assert "sandbox: cold / warm container p50" not in got  # skipped in that run: left out, not zero


def test_table_calls_a_drop_beyond_noise_worse_and_keeps_figures_only_one_run_has():
    old, new = _results(), copy.deepcopy(_results())
    new["throughput"]["llmos"]["8"]["tok_s"] = 80.0  # 0.5 -> 0.4 of the ceiling: 20% worse
    new["throughput"]["llmos"]["1"]["tok_s"] = 97.0  # 0.95 -> 0.97: noise
    new["others"]["openai_api"] = {"throughput": {"ratio": 0.95}, "overhead": {"http_p50_ms": 2.0,
                                                                              "in_kernel_p50_ms": 1.0}}
    del new["prefix"]
    rows = "\n".join(compare.table(old, new, "old", "new"))
    assert "| llmos / bare llama.cpp decode, 8 processes (higher is better) | 0.500 | 0.400 | **worse (-20%)** |" in rows
    assert "| llmos / bare llama.cpp decode, 1 processes (higher is better) | 0.950 | 0.970 | same (within noise) |" in rows
    assert "| prefix cache: miss / hit time to first token (higher is better) | 14.091 | - | - |" in rows
    assert "Only at new: OpenAI API: 8 HTTP streams / 8 in-kernel processes 0.950" in rows


def test_lower_is_better_figures_turn_the_comparison_round():
    assert compare.verdict(2.0, 1.5, higher=False).startswith("better")
    assert compare.verdict(2.0, 2.5, higher=False).startswith("**worse")
