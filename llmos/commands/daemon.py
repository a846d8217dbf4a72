"""``llmos daemon``: the kernel daemon's foreground process (``llmos boot`` detaches it)."""
from __future__ import annotations

import argparse
import os
import sys

import anyio

from kernel import KernelConfig
from kernel.api import AlreadyRunning, claim, release, serve


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("daemon", help="run the kernel daemon in the foreground (boot detaches it)")
    p.add_argument("--home", default=None, help="llmos home (default: $LLMOS_HOME or ~/.llmos)")
    p.add_argument("--model", default=None, help="model: '' embedded, a .gguf path, an http(s) URL, or 'scripted'")
    p.add_argument("--slots", type=int, default=None, help="LLM sequence slots")
    p.add_argument("--policy", choices=["fifo", "rr", "priority", "fair"], default=None)
    p.set_defaults(func=main)


def config_of(args: argparse.Namespace) -> KernelConfig:
    cfg = KernelConfig()
    if args.home:
        cfg.home = args.home
    model = args.model if args.model is not None else os.environ.get("LLMOS_MODEL")
    if model is not None:
        cfg.model = model
    if args.slots:
        cfg.n_slots = args.slots
    if args.policy:
        cfg.policy = args.policy
    return cfg


def engine_of(cfg: KernelConfig):
    """The scripted model reads its replies from ``$LLMOS_SCRIPT``; others open from the model spec."""
    if cfg.model.strip() == "scripted":
        from ..script import scripted_engine
        return scripted_engine(n_slots=cfg.n_slots)
    return None


def main(args: argparse.Namespace) -> int:
    cfg = config_of(args)
    home = cfg.home_path()
    try:
        claim(home)
    except AlreadyRunning as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    try:
        anyio.run(lambda: serve(cfg, engine=engine_of(cfg)))
    except KeyboardInterrupt:
        pass
    finally:
        release(home)
    return 0

