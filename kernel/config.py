"""The kernel's configuration: what the front door hands it at boot."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import msgspec

from kernel.memory.config import MemoryConfig


class EngineConf(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One named engine (``[engines.NAME]``, kernel/sched/engines.py): its spec and its own slots and context."""
    model: str = ""  # as KernelConfig.model: "" (embedded), a .gguf path, an http(s) URL, or "scripted"
    n_slots: int = 4
    n_ctx: int = 8192


def default_home() -> Path:
    return Path(os.environ.get("LLMOS_HOME") or Path.home() / ".llmos").expanduser()


class KernelConfig(msgspec.Struct, kw_only=True):
    home: str = ""
    model: str = ""  # "" (embedded), a .gguf path, an http(s) URL (or several, comma-separated: replicas), or
    # "scripted"; the first two may add ":q8_0"
    n_slots: int = 4
    n_ctx: int = 8192
    # a model on servers (drivers/llm/openai.py, replicas.py; docs/models.md): how long to wait for a
    # connection and for each answer, and how long a failed replica stays out; [engine] timeout, ...
    engine_timeout: float = 120.0
    engine_connect_timeout: float = 10.0
    engine_retry_s: float = 10.0
    # engines besides the default one above ("default"), by name ([engines.NAME], docs/config.md)
    engines: dict[str, EngineConf] = {}
    app_engines: dict[str, str] = {}  # app -> engine name ([apps]); wins over what the app's manifest asks
    policy: str = "plas"  # fifo | rr | priority | fair | plas (docs/performance.md, "The default")
    quantum: int = 64  # tokens before a process may be preempted
    scheduler_age_s: float = 30.0  # plas: a call waiting this long is served before younger ones
    scheduler_max_bypass: int = 64  # plas: nor is any call overtaken by more than this many later ones
    kv_follow: bool = True  # keep a process's KV attributed to it across its tool calls (docs/performance.md)
    max_tokens: int | None = None  # a default token budget for processes that name none
    syscall_timeout: float = 120.0  # every driver call is bounded
    log_level: str = "info"
    log_console: bool = False
    rules_files: list[str] = []
    approval_ttl: float = 300.0
    term_grace: float = 5.0  # seconds between TERM and the KILL that follows if the process lingers
    # the subsystems kernel/boot.py attaches (memory, rules, sandbox, browser, ...); None means all
    subsystems: list[str] | None = None
    # MCP servers whose tools processes may call as "server.tool": name -> {command, args, env, cwd} or
    # {url}, plus timeouts (drivers/tools/mcp/spec.py, docs/mcp.md)
    mcp_servers: dict[str, dict[str, Any]] = {}
    telemetry_exporter: str = ""  # traces: "" (off), "otlp" (to telemetry_endpoint) or "jsonl" (to telemetry_file)
    telemetry_endpoint: str = ""  # OTLP/gRPC collector, e.g. http://127.0.0.1:4317
    telemetry_file: str = ""  # JSON-lines trace file (relative to the home); default logs/traces.jsonl
    sandbox_limits: dict[str, Any] = {}  # container limits (sandbox/policy.py Limits fields), from [sandbox]
    memory: MemoryConfig = msgspec.field(default_factory=MemoryConfig)  # paging and recall (kernel/memory)
    sandbox_pool: int = 2  # warm sandbox containers kept started (0: every call starts one)
    sandbox_idle_s: float = 600.0  # a warm container idle this long is replaced
    sandbox_engine: str = ""  # the Docker engine: "" ($DOCKER_HOST, else the local socket), unix://... or tcp://...
    sandbox_connect_timeout: float = 10.0  # seconds the engine gets to answer before calls say `unavailable`
    # reliability (docs/reliability.md): the watchdog, retries of safe calls, injected faults for tests
    watchdog_repeats: int = 3  # the same call, or the same LLM output, this many times in a row: a warning
    watchdog_steps: int = 25  # this many calls in a row that bring nothing new: a warning (0: off)
    watchdog_grace: int = 2  # calls after a warning before the watchdog acts
    watchdog_action: str = "kill"  # kill (exit reason `looping`) | stop
    retries: int = 2  # extra tries of a safe call (a read, a generation) that failed with a retryable error
    faults: str = ""  # fault injection, e.g. "llm.submit=error*2,sandbox.exec=hang"; or $LLMOS_FAULTS
    # the OpenAI-compatible HTTP API every process may call with its key (kernel/api/openai, docs/agents.md)
    api_enabled: bool = True
    api_host: str = "127.0.0.1"  # loopback: only programs on this machine
    api_port: int = 8470  # 0: any free port (the one-shot kernel of `llmos exec` uses that)
    api_max_body: int = 4 * 1024 * 1024  # bytes in one request body; more is 413
    # the kernel API on a TCP port besides its Unix socket (kernel/api/remote.py, docs/user-guide.md); "" is off
    kernel_listen: str = ""  # HOST:PORT, e.g. 127.0.0.1:7070
    kernel_token_file: str = ""  # the token's file; default: $LLMOS_KERNEL_TOKEN, else kernel.token in the home
    kernel_tls_cert: str = ""  # TLS on the listener: a PEM certificate (chain) and its key
    kernel_tls_key: str = ""

    def home_path(self) -> Path:
        return Path(self.home) if self.home else default_home()
