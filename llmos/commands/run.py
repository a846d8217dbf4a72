"""``llmos run APP TASK``: on the running kernel daemon when there is one, else in a one-shot in-process kernel."""
from __future__ import annotations

import argparse
import json
import sys
from types import SimpleNamespace

import anyio

from .. import kflags
from ..format import outcome
from ..runlocal import run_local
from . import files, procs


def add_parsers(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run an app on a task and print its result")
    run.add_argument("app", help="the app to run, e.g. assistant")
    run.add_argument("task", nargs="+", help="the task, in plain words")
    run.add_argument("--json", action="store_true", help="print a JSON record instead of the answer")
    kflags.add(run, max_tokens=True)
    run.add_argument("--engine", default=None, metavar="NAME",
                     help="run it on this engine ([engines] in llmos.toml; 'default' is [engine]), not the routed one")
    run.add_argument("--detach", "-d", action="store_true", help="print the pid and return (needs `llmos boot`)")
    files.add_run_flag(run)
    run.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    try:  # --file: read them all now, so a bad one stops the run before it starts
        args.files = files.read_specs(args.file)
    except files.FileArgError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 2
    if procs.daemon_running():
        return procs.run_on_daemon(args)
    if args.detach:
        print("llmos: --detach needs a running kernel; `llmos boot` starts one", file=sys.stderr)
        return 2
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
