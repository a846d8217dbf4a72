"""``llmos mcp serve``: llmos as an MCP server on stdio, for MCP hosts (see docs/mcp.md)."""
from __future__ import annotations

import argparse
import sys


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mcp", help="llmos and the Model Context Protocol")
    msub = p.add_subparsers(dest="mcp_cmd", metavar="ACTION")
    s = msub.add_parser("serve", help="serve run_app, ps, kill and mem_search to an MCP host over stdio")
    s.add_argument("--home", default=None, help="llmos home (default: $LLMOS_HOME or ~/.llmos)")
    s.add_argument("--app", action="append", dest="apps", metavar="GLOB",
                   help="an app the host may run (repeat; default: any)")
    s.add_argument("--kill-any", action="store_true", help="let the host signal any process, not only its own")
    s.add_argument("--boot", action="store_true", help="start the kernel daemon first if none runs")
    s.set_defaults(func=serve)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def serve(args: argparse.Namespace) -> int:
    if args.boot:
        from .. import daemonctl
        try:
            daemonctl.boot(args.home)
        except daemonctl.BootError as exc:
            print(f"llmos: {exc}", file=sys.stderr)
            return 1
    from ..mcpserver import main
    return main(home=args.home, apps=args.apps, kill_any=args.kill_any)
