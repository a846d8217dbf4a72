"""``llmos daemon``: the kernel daemon's foreground process (``llmos boot`` detaches it)."""
from __future__ import annotations

import argparse
import os
import sys

import anyio

from kernel.api import AlreadyRunning, claim, release, serve
from kernel.api.daemon import plan
from kernel.api.listen import TOKEN_ENV, ListenError

from .. import kflags


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("daemon", help="run the kernel daemon in the foreground (boot detaches it)")
    p.add_argument("--home", default=None, help="llmos home (default: $LLMOS_HOME or ~/.llmos)")
    kflags.add(p)
    kflags.add_listen(p)
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from drivers.llm import EngineError
    from kernel.rules import RulesError
    from kernel.settings import SettingsError
    try:
        cfg = kflags.config_from(args, args.home)
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
        listen = plan(cfg)
        os.environ.pop(TOKEN_ENV, None)  # read: no process the kernel starts inherits it
        anyio.run(lambda: serve(cfg, engine=kflags.engine_for(cfg), engines=kflags.engines_for(cfg), listen=listen))
    except ListenError as exc:  # the TCP listener cannot open as asked: say so before the model loads
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
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

