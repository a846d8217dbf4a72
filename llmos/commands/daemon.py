"""``llmos daemon``: the kernel daemon's foreground process (``llmos boot`` detaches it)."""
from __future__ import annotations

import argparse
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
    """llmos.toml in the home, then LLMOS_* variables, then these flags (kernel/settings.py)."""
    from kernel.settings import load
    return load(args.home, flags={"model": ("--model", args.model), "n_slots": ("--slots", args.slots),
                                  "policy": ("--policy", args.policy)}).config


def engine_of(cfg: KernelConfig):
    """The scripted model reads its replies from ``$LLMOS_SCRIPT``; others open from the model spec."""
    if cfg.model.strip() == "scripted":
        from ..script import scripted_engine
        return scripted_engine(n_slots=cfg.n_slots)
    return None


def main(args: argparse.Namespace) -> int:
    from drivers.llm import EngineError
    from kernel.rules import RulesError
    from kernel.settings import SettingsError
    try:
        cfg = config_of(args)
    except SettingsError as exc:
        print(f"llmos: configuration error: {exc}", file=sys.stderr)
        return 2
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
    except EngineError as exc:  # the model could not be opened: say so, without a traceback
        print(f"llmos: cannot start the model: {exc}", file=sys.stderr)
        return 1
    except RulesError as exc:  # rules fail closed: no kernel with fewer rules than were written
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    finally:
        release(home)
    return 0

