"""The agent-programs baseline: llama.cpp's own llama-server (built from the pinned sdist) and the client logic of the llmos app."""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

from .agents import summary

ROOT = Path(__file__).resolve().parent.parent


def binary() -> str:
    """The llama-server binary, built once per machine by scripts/build-llama-server.sh."""
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "build-llama-server.sh"), sys.executable],
                          capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"building llama-server failed: {(proc.stderr or proc.stdout).strip()[-300:]}")
    return proc.stdout.strip().splitlines()[-1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(exe: str, model: str, port: int, *, slots: int, n_ctx: int, threads: int, cache_ram_mb: int) -> list[str]:
    """Same model, slots, context and threads as the llmos engine; its host-RAM prompt cache on."""
    return [exe, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-c", str(n_ctx), "-np", str(slots),
            "-t", str(threads), "-tb", str(threads), "-b", "512", "-ub", "512", "--cache-ram", str(cache_ram_mb), "--no-kv-unified",
            "--no-webui"]


async def _program(client: httpx.AsyncClient, spec: dict, i: int, t0: float, tally: dict) -> float:
    """The llmos app's loop (benchmarks/agents.py APP) over HTTP."""
    prog = spec["programs"][i]
    messages = [{"role": "system", "content": spec["system"]}, {"role": "user", "content": prog["task"]}]
    for wait, observation in zip(prog["waits"], prog["observations"]):
        r = await client.post("/v1/chat/completions", json={
            "messages": messages, "max_tokens": spec["max_tokens"], "temperature": 0.0, "cache_prompt": True})
        r.raise_for_status()
        body = r.json()
        tally["sent"] += body["usage"]["prompt_tokens"]
        tally["computed"] += body.get("timings", {}).get("prompt_n", body["usage"]["prompt_tokens"])
        messages.append({"role": "assistant", "content": body["choices"][0]["message"]["content"] or "."})
        await anyio.sleep(wait)  # the tool call
        messages.append({"role": "user", "content": observation})
    return time.time() - t0


async def _clients(url: str, spec: dict) -> dict:
    tally = {"sent": 0, "computed": 0}
    times: list[float] = []
    errors: list[str] = []

    async def one(i: int) -> None:
        try:
            times.append(await _program(client, spec, i, t0, tally))
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")

    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(None, connect=10)) as client:
        t0 = time.time()
        async with anyio.create_task_group() as tg:
            for i in range(len(spec["programs"])):
                tg.start_soon(one, i)
    return summary(times, len(errors), tally["sent"], tally["computed"], errors=sorted(set(errors)))


def run(model: str, spec: dict, *, slots: int, n_ctx: int, threads: int, cache_ram_mb: int) -> dict:
    exe = binary()
    port = _port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command(exe, model, port, slots=slots, n_ctx=n_ctx, threads=threads,
                                        cache_ram_mb=cache_ram_mb), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"llama-server exited: {log.read().decode(errors='replace')[-400:]}")
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("llama-server was not ready within 120 s")
                time.sleep(0.3)
            return anyio.run(_clients, url, spec)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
