"""The ``llmos`` command line: one parser, each subcommand registered by its module under llmos/commands."""
from __future__ import annotations

import argparse
import sys

from . import __version__, commands, home, remote
from .commands import procs

# commands that work only on the kernel's machine, and why: refused in one line with --kernel
LOCAL_ONLY = {
    "boot": "it starts a kernel on this machine", "daemon": "it runs a kernel on this machine",
    "exec": "it runs a program of this machine with this machine's folder and environment",
    "install": "it changes the apps in an llmos home on this machine", "uninstall": "the same as install",
    "shell": "it boots a kernel on this machine when none runs", "mcp": "it serves a kernel of this machine",
    "eval": "it runs a kernel of its own", "sandbox": "it manages this machine's Docker engine",
    "config": "it shows this machine's configuration", "rules": "it reads this machine's rules files",
}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="llmos", description="An operating system for LLM agents.")
    ap.add_argument("--kernel", default=None, metavar="HOST:PORT",
                    help="drive the kernel at this TCP address instead of the local one (tls://HOST:PORT for TLS; "
                         "default $LLMOS_KERNEL)")
    ap.add_argument("--token-file", default=None, metavar="FILE",
                    help="the remote kernel's token (default $LLMOS_KERNEL_TOKEN, then $LLMOS_KERNEL_TOKEN_FILE)")
    ap.add_argument("--tls-ca", default=None, metavar="PEM",
                    help="trust the remote kernel's certificate if this CA (or the certificate itself) signed it")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    commands.add_parsers(sub)
    sub.add_parser("version", help="print the llmos version").set_defaults(func=version)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(global_first(sys.argv[1:] if argv is None else argv))
    remote.configure(args.kernel, args.token_file, args.tls_ca)
    try:
        far = remote.target()
    except remote.Unreachable as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 2
    if far is not None and args.cmd in LOCAL_ONLY:
        print(f"llmos: `{args.cmd}` needs the kernel's local socket ({LOCAL_ONLY[args.cmd]}); "
              f"run it on the kernel's machine, without --kernel", file=sys.stderr)
        return 2
    if far is None and args.cmd not in (None, "version", "new"):  # every command but these reads or writes the home
        bad = home.check(getattr(args, "home", None))
        if bad:
            print(f"llmos: {bad}", file=sys.stderr)
            return 2
    try:
        return _dispatch(ap, args)
    except OSError as exc:  # a file-system failure met later (a sub-folder that is a file, a full disk)
        print(f"llmos: {home.describe(exc)}", file=sys.stderr)
        return 1


def global_first(argv: list[str]) -> list[str]:
    """``kill -KILL 3`` made ``kill -s KILL 3`` (procs.signal_argv), after any global flags before the command."""
    i = 0
    while i < len(argv) and argv[i].split("=")[0] in ("--kernel", "--token-file", "--tls-ca"):
        i += 1 if "=" in argv[i] else 2
    return argv[:i] + procs.signal_argv(argv[i:])


def _dispatch(ap: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.cmd is None:
        ap.print_help()
        return 2
    return args.func(args)


def version(args: argparse.Namespace) -> int:
    print(f"llmos {__version__}")
    return 0
