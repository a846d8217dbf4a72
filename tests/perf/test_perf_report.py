"""The benchmark report writer: ratios computed from the same run's figures, plots written, skipped parts said."""
from __future__ import annotations

from benchmarks import report


def _results() -> dict:
    def llmos(dec: float, wall: float) -> dict:
        return {"tok_s": dec, "wall_tok_s": wall, "token_gap_ms": {"sample": [10.0, 12.0, 30.0]}}
    return {
        "date": "2026-01-01 00:00", "seconds": 600, "load": (1.5, 2.5), "errors": {"x": "ValueError: boom"},
        "machine": {"cpu": "Test CPU", "cores": 2, "ram_gb": 8, "os": "Linux", "python": "3.11",
                    "llama_cpp": "llama-cpp-python 0", "model": "m"},
        "throughput": {"n": [1, 8], "n_tokens": 64,
                       "bare": {"1": {"tok_s": 100.0}, "8": {"tok_s": 200.0}},
                       "llmos": {"1": llmos(95.0, 80.0), "8": llmos(100.0, 150.0)},
                       "naive": {"1": {"tok_s": 75.0}, "8": {"tok_s": 50.0}}},
        "formats": {"shipped": {"1": {"tok_s": 100.0}, "8": {"tok_s": 180.0}},
                    "q8_0": {"1": {"tok_s": 110.0}, "8": {"tok_s": 220.0}}},
        "single": {"llmos": 95.0, "bare_python": 100.0, "bare_c": 100.0},
        "kv": [{"tokens": L, "reprefill_s": L / 300, "save_s": 0.001, "disk_save_s": 0.01, "state_mb": L / 45,
                "restore_memory_s": 0.002, "resume_memory_s": 0.01, "restore_disk_s": 0.02, "resume_disk_s": 0.04,
                "identical_memory": True, "identical_disk": L != 4096} for L in (256, 1024, 4096)],
        "prefix": {"prefix_tokens": 500, "hit_ttft_s": [0.1, 0.12], "miss_ttft_s": [1.5, 1.6], "prefix_copies": 2},
        "syscalls": {k: {"calls_s": 20000.0, "latency_ms": {"p50": 0.04, "p99": 0.2, "mean": 0.05,
                                                          "sample": [0.03, 0.04, 0.2]}} for k in ("ps", "chat")}
        | {"baseline_direct_handler_calls_s": 100000.0},
        "idle": {"processes": 1000, "spawn_per_s": 300.0, "rss_before_mb": 40.0, "rss_after_mb": 50.0,
                 "bytes_per_process": 10 * 1024.0, "halt_s": 0.5},
        "others": {"sandbox": {"skipped": "no Docker engine reachable"}, "rules": {"p99_us": 3.0, "_seconds": 2.0},
                   "affinity": {"rounds": 4, "second_call_tokens": 1200, "same_median_s": 0.5, "other_median_s": 10.0,
                                "ratio": 20.0, "ratio_min": 12.5, "target": 2.0, "_seconds": 60.0}},
    }


def test_report_has_ratios_plots_and_reasons(tmp_path):
    doc = report.write(_results(), tmp_path)
    text = doc.read_text()
    assert sorted(p.name for p in (tmp_path / report.IMAGES).iterdir()) == ["kv_switch.png", "latency.png",
                                                                         "throughput.png"]
    assert "| 8 | 200.0 | 2.00 | 100.0 | 0.50 | 150.0 | 50.0 | 3.00 |" in text  # batching gain, decode/ceiling, wall/naive
    assert "decodes 2.00x its single-sequence rate" in text
    assert "| 8 | 180.0 | 220.0 | 1.22 |" in text  # Q8_0 against Q4_1 at batch 8
    assert "batch 8 1.80x with Q4_1 and 2.00x with Q8_0" in text
    assert "**0.95x** (target >= 0.9)" in text  # single stream against llama-cpp-python
    assert "| 1024 |" in text and "| **no** |" in text and "set_data ms" in text  # an output that differed after a swap is shown
    assert "**14.1x** sooner" in text  # prefix miss median 1.55 s / hit median 0.11 s
    assert "Skipped: no Docker engine reachable" in text and "ValueError: boom" in text
    assert "in 0.500 s on its own replica against 10.000 s on the other: **20.0x sooner**" in text  # affinity
    assert "Load average (1 min) at start 1.50, at end 2.50" in text
    assert '"sample"' not in text  # raw numbers without the plot samples
