"""The other subsystems' benchmarks, each in its own process with a time limit, skipped with a reason when its part is missing."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> (why it cannot run, or None; code that prints one JSON object as its last line; time limit s)
SECTIONS = {
    "rules": (lambda: None, "from benchmarks import rules; print(json.dumps(rules.run(rounds=10)))", 300),
    "memory": (lambda: None, "from benchmarks import memory; print(json.dumps(memory.run(sizes=(10_000,))))", 300),
    "sandbox": (lambda: _docker(), ("from benchmarks.sandbox import bench_sandbox; "
                "print(json.dumps(bench_sandbox(n=10)))"), 300),
    "prefill": (lambda: None, ("from benchmarks import prefill; from drivers.llm import default_model_path; "
                "print(json.dumps(prefill.run(default_model_path())))"), 300),
    "openai_api": (lambda: None, "from benchmarks import openai_api; print(json.dumps(openai_api.run()))", 600),
    "affinity": (lambda: None, ("from benchmarks import affinity; from drivers.llm import default_model_path; "
                 "print(json.dumps(affinity.run(default_model_path())))"), 900),
    "browser": (lambda: _chromium(), ("from benchmarks import browser; print(json.dumps(browser.bench(repeats=5, "
                "count_tokens=lambda s: max(1, len(s) // 4))))"), 300),
}


def _docker() -> str | None:
    try:
        import docker
        docker.from_env(timeout=5).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means: no engine to measure
        return f"no Docker engine reachable ({type(exc).__name__}: {str(exc)[:120]})"
    return None


def _chromium() -> str | None:
    if os.environ.get("LLMOS_CHROMIUM") or shutil.which("chromium") or Path("/usr/bin/chromium").exists():
        return None
    return "no Chromium found (scripts/setup-chromium.sh installs it)"


def run(name: str) -> dict:
    """One section's figures, or ``{"skipped": reason}``."""
    why_not, code, limit = SECTIONS[name]
    reason = why_not()
    if reason:
        return {"skipped": reason}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", f"import json\n{code}"], cwd=ROOT, capture_output=True, check=False,
                              text=True, timeout=limit, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return {"skipped": f"did not finish within {limit} s on this machine"}
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["?"]
        return {"skipped": f"failed (exit {proc.returncode}): {tail[0][:300]}"}
    try:
        out = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"skipped": "printed no JSON result"}
    out["_seconds"] = time.perf_counter() - t0
    return out
