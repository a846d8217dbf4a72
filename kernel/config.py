"""The kernel's configuration: what the front door hands it at boot."""
from __future__ import annotations

import os
from pathlib import Path

import msgspec


def default_home() -> Path:
    return Path(os.environ.get("LLMOS_HOME") or Path.home() / ".llmos").expanduser()


class KernelConfig(msgspec.Struct, kw_only=True):
    home: str = ""
    model: str = ""  # "" (embedded), a .gguf path, an http(s) URL, or "scripted"
    n_slots: int = 4
    n_ctx: int = 8192
    policy: str = "fair"  # fifo | rr | priority | fair
    quantum: int = 64  # tokens before a process may be preempted
    max_tokens: int | None = None  # a default token budget for processes that name none
    syscall_timeout: float = 120.0  # every driver call is bounded
    log_level: str = "info"
    log_console: bool = False
    rules_files: list[str] = []
    approval_ttl: float = 300.0
    term_grace: float = 5.0  # seconds between TERM and the KILL that follows if the process lingers
    # the subsystems kernel/boot.py attaches (memory, rules, sandbox, browser, ...); None means all
    subsystems: list[str] | None = None
    sandbox_pool: int = 2  # warm sandbox containers kept started (0: every call starts one)
    sandbox_idle_s: float = 600.0  # a warm container idle this long is replaced

    def home_path(self) -> Path:
        return Path(self.home) if self.home else default_home()
