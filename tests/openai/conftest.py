"""Fixtures for the OpenAI API tests: a kernel on the scripted model serving the API on a free loopback port."""
from __future__ import annotations

import sys
from contextlib import asynccontextmanager

import httpx

from drivers.llm import ScriptedEngine
from kernel.proc.execprog import Program, spawn

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


@asynccontextmanager
async def api_kernel(kernel_factory, engine=None, subsystems=("openai_api",), **cfg):
    """``async with api_kernel(kernel_factory) as k``: a kernel whose API listens on 127.0.0.1:<free>."""
    engine = engine or ScriptedEngine(default="hello there friend")
    async with kernel_factory(engine, subsystems=list(subsystems), api_port=0, **cfg) as k:
        yield k


async def external(k, budgets=None, app: str = "", manifest: str = "") -> tuple[int, str]:
    """A sleeping external process and a key for it."""
    pid = await spawn(k, Program(argv=SLEEPER), budgets=budgets, app=app, manifest=manifest)
    return pid, k.api_calls.issue(pid)


def client(k, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=k.api_url, headers={"authorization": f"Bearer {key}"}, timeout=30)


CHAT = {"model": "any", "messages": [{"role": "user", "content": "hi"}]}
