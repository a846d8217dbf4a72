"""``llmos config show``: the effective configuration and where each value came from."""
from __future__ import annotations

import argparse
import json
import sys

from kernel.settings import SettingsError, load, render, shown


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="show the effective configuration (llmos.toml, LLMOS_* variables, flags)")
    csub = p.add_subparsers(dest="config_cmd", metavar="ACTION")
    show = csub.add_parser("show", help="print every setting, its value and where it came from")
    show.add_argument("--home", default=None, help="llmos home (default: $LLMOS_HOME or ~/.llmos)")
    show.add_argument("--json", action="store_true", help="print JSON: {setting: {value, source}}")
    show.set_defaults(func=show_cmd)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def show_cmd(args: argparse.Namespace) -> int:
    try:
        settings = load(args.home)
    except SettingsError as exc:
        print(f"llmos: configuration error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        values = shown(settings)
        print(json.dumps({k: {"value": v, "source": settings.sources.get(k, "default")} for k, v in values.items()},
                         indent=2))
    else:
        print(render(settings))
    return 0
