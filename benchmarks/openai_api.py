"""The OpenAI API's cost: 8 streaming HTTP clients against 8 in-kernel processes on one engine (tokens/s), and
the HTTP layer's added latency per request over an in-kernel ``llm.chat`` on the scripted model (p50)."""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drivers.llm import ScriptedEngine  # noqa: E402 - after the path set-up above
from kernel import Kernel, KernelConfig  # noqa: E402
from kernel.proc.execprog import Program, spawn  # noqa: E402
from kernel.syscall.dispatch import dispatch  # noqa: E402
from syscalls import llm  # noqa: E402

SLEEP = [sys.executable, "-c", "import time; time.sleep(3600)"]
PROMPTS = ["Write about the sea.", "Describe a forest.", "Tell me about trains.", "Explain rain.",
           "Write about cities.", "Describe the moon.", "Tell me about bread.", "Explain wind."]


async def _procs(k: Kernel, n: int) -> list[tuple[int, str]]:
    out = []
    for _ in range(n):
        pid = await spawn(k, Program(argv=SLEEP))
        out.append((pid, k.api_calls.issue(pid)))
    return out


async def _in_kernel(k: Kernel, pids: list[int], tokens: int) -> tuple[int, float]:
    done: list[int] = []

    async def one(i: int, pid: int) -> None:
        r = await dispatch(k, k.ptable.get(pid), llm.Chat(messages=[llm.ChatMessage(role="user", content=PROMPTS[i])],
                                                          max_tokens=tokens))
        done.append(r.tokens_out)
    t0 = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i, pid in enumerate(pids):
            tg.start_soon(one, i, pid)
    return sum(done), time.perf_counter() - t0


CLIENTS = """
import json, sys, threading, time, resource
import httpx
mode, url, keys, tokens, prompts = json.loads(sys.argv[1])
out = []
def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_nvcsw + ru.ru_nivcsw
def stream(client, prompt):
    body = {"messages": [{"role": "user", "content": prompt}], "max_tokens": tokens, "stream": True,
            "stream_options": {"include_usage": True}}
    ready.wait()  # every client connected first: the run times serving, not client start-up
    with client.stream("POST", "/chat/completions", json=body) as r:
        for line in r.iter_lines():
            if line.startswith('data: {"id"') and '"usage":{' in line:
                out.append(json.loads(line[6:])["usage"]["completion_tokens"])
if mode == "httpx":
    clients = [httpx.Client(base_url=url, headers={"authorization": "Bearer " + k}, timeout=600) for k in keys]
    for c in clients:
        c.get("/models").raise_for_status()  # open each keep-alive connection before the clock starts
    ready = threading.Barrier(len(clients) + 1)
    threads = [threading.Thread(target=stream, args=(c, p)) for c, p in zip(clients, prompts)]
    for t in threads: t.start()
    ready.wait()
    t0, (c0, w0) = time.perf_counter(), cpu()
    for t in threads: t.join()
    c1, w1 = cpu()
    print(json.dumps([sum(out), time.perf_counter() - t0, c1 - c0, w1 - w0]))
else:
    body = {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    with httpx.Client(base_url=url, headers={"authorization": "Bearer " + keys[0]}) as c:
        for _ in range(tokens):
            t0 = time.perf_counter()
            c.post("/chat/completions", json=body).raise_for_status()
            out.append(time.perf_counter() - t0)
    print(json.dumps(out))
"""

# The lean streaming client: one asyncio program, a connection per stream, the server-sent events read as
# they arrive (as curl reads them) and only the closing usage chunk parsed.  It measures what the kernel's
# HTTP layer costs; the httpx client above adds what 8 Python threads parsing an event per token cost.
LEAN = """
import asyncio, json, sys, time, resource
from urllib.parse import urlsplit
url, keys, tokens, prompts = json.loads(sys.argv[1])
u = urlsplit(url)
def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_nvcsw + ru.ru_nivcsw
async def one(key, prompt, ready, go):
    r, w = await asyncio.open_connection(u.hostname, u.port)
    body = json.dumps({"messages": [{"role": "user", "content": prompt}], "max_tokens": tokens, "stream": True,
                       "stream_options": {"include_usage": True}}).encode()
    head = (f"POST {u.path}/chat/completions HTTP/1.1\\r\\nhost: {u.netloc}\\r\\nauthorization: Bearer {key}\\r\\n"
            f"content-type: application/json\\r\\ncontent-length: {len(body)}\\r\\n\\r\\n").encode()
    ready.release()
    await go.wait()
    w.write(head + body)
    tail = b""
    while b"data: [DONE]" not in tail:
        chunk = await r.read(65536)
        if not chunk:
            raise SystemExit("the server closed the stream before [DONE]")
        tail = tail[-4096:] + chunk
    at = tail.rfind(b'"usage":{')
    w.close()
    return json.loads(tail[at + 8:tail.index(b"}", at) + 1])["completion_tokens"]
async def main():
    ready, go = asyncio.Semaphore(0), asyncio.Event()
    tasks = [asyncio.create_task(one(k, p, ready, go)) for k, p in zip(keys, prompts)]
    for _ in keys:
        await ready.acquire()
    t0, (c0, w0) = time.perf_counter(), cpu()
    go.set()
    out = await asyncio.gather(*tasks)
    c1, w1 = cpu()
    print(json.dumps([sum(out), time.perf_counter() - t0, c1 - c0, w1 - w0]))
asyncio.run(main())
"""


async def _clients(mode: str, url: str, keys: list[str], n: int) -> Any:
    """HTTP clients in a program of their own, as agents would be (no share of the kernel's interpreter)."""
    if mode == "lean":
        code, arg = LEAN, json.dumps([url, keys, n, PROMPTS[:len(keys)]])
    else:
        code, arg = CLIENTS, json.dumps([mode, url, keys, n, PROMPTS[:len(keys)]])
    r = await anyio.run_process([sys.executable, "-c", code, arg], check=True)
    return json.loads(r.stdout.decode().strip().splitlines()[-1])


async def throughput(model: str = "", n: int = 8, tokens: int = 128, rounds: int = 3, engine=None) -> dict:
    """Aggregate tokens/s of ``n`` in-kernel processes, of ``n`` lean streaming clients and of ``n`` httpx
    streaming clients, alternated round by round (the embedded model unless ``model`` or ``engine`` says
    otherwise); the clients' own CPU seconds per round beside them."""
    with tempfile.TemporaryDirectory() as home:
        cfg = KernelConfig(home=home, model=model, n_slots=n, subsystems=["openai_api"], api_port=0)
        async with Kernel(cfg, engine=engine) as k:
            procs = await _procs(k, n)
            pids, keys = [p for p, _ in procs], [key for _, key in procs]
            kin: list[float] = []
            http: dict[str, list[float]] = {"lean": [], "httpx": []}
            cpu: dict[str, list[float]] = {"lean": [], "httpx": []}
            switches: dict[str, list[int]] = {"lean": [], "httpx": []}
            for counted in [False] + [True] * rounds:  # a warm-up round of each path first, not counted
                t, s = await _in_kernel(k, pids, tokens)
                if counted:
                    kin.append(t / s)
                for mode in ("lean", "httpx"):
                    t, s, c, w = await _clients(mode, k.api_url, keys, tokens)
                    if counted:
                        http[mode].append(t / s)
                        cpu[mode].append(c)
                        switches[mode].append(w)
            await k.halt()
    best_k, best_h, best_x = max(kin), max(http["lean"]), max(http["httpx"])
    return {"clients": n, "tokens": tokens, "in_kernel_tok_s": round(best_k, 1), "http_tok_s": round(best_h, 1),
            "ratio": round(best_h / best_k, 3), "median_ratio": round(statistics.median(http["lean"])
                                                                      / statistics.median(kin), 3),
            "httpx_tok_s": round(best_x, 1), "httpx_ratio": round(best_x / best_k, 3),
            "client_cpu_s": {m: round(statistics.median(v), 2) for m, v in cpu.items()},
            "client_context_switches": {m: int(statistics.median(v)) for m, v in switches.items()},
            "samples": {"in_kernel": kin, "http": http["lean"], "httpx": http["httpx"]}}


async def overhead(requests: int = 300) -> dict:
    """p50 latency of one non-streamed chat over HTTP (a client in its own thread, keep-alive) and of the
    same ``llm.chat`` made in the kernel, on the scripted model."""
    with tempfile.TemporaryDirectory() as home:
        cfg = KernelConfig(home=home, subsystems=["openai_api"], api_port=0)
        async with Kernel(cfg, engine=ScriptedEngine(default="ok fine")) as k:
            (pid, key), = await _procs(k, 1)
            proc, req = k.ptable.get(pid), llm.Chat(messages=[llm.ChatMessage(role="user", content="hi")], max_tokens=8)
            kin = []
            for _ in range(requests):
                t0 = time.perf_counter()
                await dispatch(k, proc, req)
                kin.append(time.perf_counter() - t0)
            http = await _clients("post", k.api_url, [key], requests)
            await k.halt()
    p50k, p50h = statistics.median(kin) * 1000, statistics.median(http) * 1000
    return {"requests": requests, "in_kernel_p50_ms": round(p50k, 3), "http_p50_ms": round(p50h, 3),
            "added_p50_ms": round(p50h - p50k, 3)}


def run(model: str = "", n: int = 8, tokens: int = 128) -> dict:
    return {"throughput": anyio.run(lambda: throughput(model, n, tokens)), "overhead": anyio.run(overhead)}
