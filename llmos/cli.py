"""The ``llmos`` command line: run apps, list them, and report the version."""
from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace

import anyio

from . import __version__, commands, home
from .argtypes import positive as _positive
from .commands import files, procs
from .format import outcome
from .runlocal import run_local


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="llmos", description="An operating system for LLM agents.")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND")
    run = sub.add_parser("run", help="run an app on a task and print its result")
    run.add_argument("app", help="the app to run, e.g. assistant")
    run.add_argument("task", nargs="+", help="the task, in plain words")
    run.add_argument("--json", action="store_true", help="print a JSON record instead of the answer")
    run.add_argument("--model", default=None, help="model: a .gguf path, an http(s) URL, or 'scripted'")
    run.add_argument("--max-tokens", type=_positive, default=None, help="token budget for the process")
    run.add_argument("--slots", type=_positive, default=None, help="LLM sequence slots (cores)")
    run.add_argument("--policy", choices=["fifo", "rr", "priority", "fair", "plas"], default=None)
    run.add_argument("--detach", "-d", action="store_true", help="print the pid and return (needs `llmos boot`)")
    files.add_run_flag(run)
    commands.add_parsers(sub)
    sub.add_parser("version", help="print the llmos version")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(procs.signal_argv(sys.argv[1:] if argv is None else argv))
    if args.cmd not in (None, "version", "new"):  # every command but these reads or writes the home
        bad = home.check(getattr(args, "home", None))
        if bad:
            print(f"llmos: {bad}", file=sys.stderr)
            return 2
    try:
        return _dispatch(ap, args)
    except OSError as exc:  # a file-system failure met later (a sub-folder that is a file, a full disk)
        print(f"llmos: {home.describe(exc)}", file=sys.stderr)
        return 1


def _dispatch(ap: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if getattr(args, "func", None) is not None:
        return args.func(args)
    if args.cmd == "run":  # --file: read them all now, so a bad one stops the run before it starts
        try:
            args.files = files.read_specs(args.file)
        except files.FileArgError as exc:
            print(f"llmos: {exc}", file=sys.stderr)
            return 2
    if args.cmd is None:
        ap.print_help()
        return 2
    if args.cmd == "version":
        print(f"llmos {__version__}")
        return 0
    if args.cmd == "run" and procs.daemon_running():
        return procs.run_on_daemon(args)
    if args.cmd == "run" and args.detach:
        print("llmos: --detach needs a running kernel; `llmos boot` starts one", file=sys.stderr)
        return 2
    if args.cmd == "run":
        record = anyio.run(run_local, args)
        footer = record.pop("footer", None)
        if args.json:
            print(json.dumps(record, indent=2))
        elif record["exit_reason"] == "exited":
            print(record["result"])
        elif record["exit_reason"] == "rules":  # no kernel booted: the one line that says which file and why
            print(f"llmos: {record['error']}", file=sys.stderr)
        else:
            print(f"llmos: {outcome(SimpleNamespace(**record))}", file=sys.stderr)
        if footer:
            print(footer, file=sys.stderr)
        return 0 if record["exit_reason"] == "exited" else 1
    return 2
