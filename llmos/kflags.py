"""The kernel flags commands share (``--model``, ``--slots``, ``--policy``, ``--max-tokens``): declared once,
and mapped once onto the kernel's configuration (defaults < llmos.toml < LLMOS_* < these flags)."""
from __future__ import annotations

import argparse
from typing import Any

from kernel import KernelConfig
from kernel.sched.scheduler import POLICIES

from .argtypes import positive

# flag -> (argparse dest, KernelConfig field)
FLAGS = {"--model": ("model", "model"), "--slots": ("slots", "n_slots"), "--policy": ("policy", "policy"),
         "--max-tokens": ("max_tokens", "max_tokens"), "--listen": ("listen", "kernel_listen"),
         "--tls-cert": ("tls_cert", "kernel_tls_cert"), "--tls-key": ("tls_key", "kernel_tls_key")}
LISTEN = ("--listen", "--tls-cert", "--tls-key")
MODEL_HELP = "model: '' embedded, a .gguf path, an http(s) URL, or 'scripted'"


def add(p: argparse.ArgumentParser, *, policy: bool = True, max_tokens: bool = False,
        slots_help: str = "LLM sequence slots (cores)") -> None:
    """Add the kernel flags to a command's parser."""
    p.add_argument("--model", default=None, help=MODEL_HELP)
    p.add_argument("--slots", type=positive, default=None, help=slots_help)
    if policy:
        p.add_argument("--policy", choices=POLICIES, default=None, help="scheduling policy (docs/performance.md)")
    if max_tokens:
        p.add_argument("--max-tokens", type=positive, default=None, help="token budget for the process")


def add_listen(p: argparse.ArgumentParser) -> None:
    """The flags of the kernel API's TCP listener (``boot`` and ``daemon``; docs/user-guide.md)."""
    p.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="also serve the kernel API on this TCP address, with a token (e.g. 127.0.0.1:7070)")
    p.add_argument("--tls-cert", default=None, metavar="PEM", help="TLS on the listener: its certificate")
    p.add_argument("--tls-key", default=None, metavar="PEM", help="TLS on the listener: the certificate's key")


def config_from(args: argparse.Namespace, home: str | None = None) -> KernelConfig:
    """The effective configuration for these flags (those the command has; kernel/settings.py)."""
    from kernel.settings import load
    given = vars(args)
    flags = {field: (flag, given[dest]) for flag, (dest, field) in FLAGS.items() if dest in given}
    return load(home, flags=flags).config


def engines_for(cfg: KernelConfig) -> dict[str, Any]:
    """The named engines ([engines.NAME]) that are the scripted model, each reading ``$LLMOS_SCRIPT`` as
    ``engine_for`` does; the kernel opens the others itself."""
    from .script import scripted_engine
    return {name: scripted_engine(n_slots=e.n_slots, n_ctx=e.n_ctx) for name, e in cfg.engines.items()
            if e.model.strip() == "scripted"}


def engine_for(cfg: KernelConfig) -> Any:
    """The engine a command hands its kernel: the scripted model reads its replies from ``$LLMOS_SCRIPT``
    (llmos/script.py); for any other model, None lets the kernel open ``cfg.model`` itself."""
    if cfg.model.strip() == "scripted":
        from .script import scripted_engine
        return scripted_engine(n_slots=cfg.n_slots)
    return None
