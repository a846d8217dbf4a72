"""``llmos rules check|list|explain`` and ``llmos approvals|approve|deny``: the rules and approvals for people."""
from __future__ import annotations

import argparse
import json
import sys

import anyio

from ..approvals import approval_line, render_approval
from ..client import Client, KernelError, NotRunning


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="check, list and explain the rules every syscall passes")
    rs = p.add_subparsers(dest="rules_cmd", metavar="ACTION", required=True)
    c = rs.add_parser("check", help="parse a rules file (default: every file the kernel loads) and "
                      "report the first error with file and line")
    c.add_argument("file", nargs="?", default=None)
    c.add_argument("--app", default=None, help="check it as the rules.toml of this app")
    c.set_defaults(func=check)
    rs.add_parser("list", help="the rules in force for this llmos home, in the files they come from"
                  ).set_defaults(func=list_)
    e = rs.add_parser("explain", help="which rule decided: a PID's recent calls, or a call such as "
                      "'fs.delete {\"path\": \"notes.txt\"}'")
    e.add_argument("target", help="a pid, or a syscall name followed by its JSON arguments")
    e.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    e.add_argument("--app", default="", help="the app making the call (for a call)")
    e.set_defaults(func=explain)
    ap = sub.add_parser("approvals", help="list actions waiting for your approval; `show ID` prints one "
                        "with every argument whole")
    ap.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    ap.add_argument("id", nargs="?", help="the approval to show")
    ap.set_defaults(func=approvals)
    a = sub.add_parser("approve", help="allow one pending action (that exact call, once)")
    a.add_argument("id")
    a.set_defaults(func=approve)
    d = sub.add_parser("deny", help="refuse one pending action; the process gets a typed error")
    d.add_argument("id")
    d.add_argument("reason", nargs="*")
    d.set_defaults(func=deny)


def _home():
    from kernel import default_home
    return default_home()


def _loaded():
    """Every rules file this home's kernel loads (configured ones included), and the errors of those that do not."""
    from apps import AppRegistry
    from kernel.rules.load import load_all
    from kernel.settings import SettingsError, load
    try:
        cfg = load().config
    except SettingsError as exc:  # said like every other command says it, without a traceback
        print(f"llmos: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return load_all(cfg.home_path(), AppRegistry(installed_dir=cfg.home_path() / "apps").all().values(),
                    cfg.rules_files)


def check(args: argparse.Namespace) -> int:
    """The same one line a refused boot prints: ``llmos: FILE:LINE: problem``."""
    from kernel.rules import RulesError, load_rules_file
    from kernel.rules.load import require_all
    try:
        if args.file is None:
            loaded = require_all(_loaded())
            rules, warnings = loaded.engine.rules, loaded.engine.warnings
            what = f"{len(loaded.sources)} rules files"
        else:
            rs = load_rules_file(args.file, level="app" if args.app else "user", app=args.app)
            rules, warnings, what = rs.rules, rs.warnings, args.file
    except RulesError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"{what}: ok, {len(rules)} rule{'s' if len(rules) != 1 else ''}")
    return 0


def list_(args: argparse.Namespace) -> int:
    loaded = _loaded()
    for rule in loaded.engine.rules:
        scope = f" app={','.join(rule.apps)}" if rule.apps else ""
        print(f"{rule.effect:<5}  {rule.id:<32} {','.join(rule.names):<28}{scope}  {rule.reason}  [{rule.source}]")
    for err in loaded.errors:
        print(f"not loaded: {err}", file=sys.stderr)
    return 1 if loaded.errors else 0


def explain(args: argparse.Namespace) -> int:
    if args.target.isdigit():
        return _explain_pid(int(args.target))
    from kernel.rules import Call
    try:
        call_args = json.loads(" ".join(args.args)) if args.args else {}
    except json.JSONDecodeError as exc:
        print(f"llmos: the arguments must be a JSON object: {exc}", file=sys.stderr)
        return 2
    if not isinstance(call_args, dict):
        print("llmos: the arguments must be a JSON object", file=sys.stderr)
        return 2
    ex = _loaded().engine.explain(Call(name=args.target, args=call_args, app=args.app))
    d = ex.decision
    print(f"{args.target}: {d.effect} — {d.reason}" + (f" (rule {d.rule_id})" if d.rule_id else ""))
    for r in ex.matched:
        mark = "*" if r["decided"] else " "
        print(f" {mark} {r['effect']:<5} {r['id']}  {r['reason']}  [{r['source']}]"
              + "".join(f"\n       note: {n}" for n in r["notes"]))
    return 0


def _explain_pid(pid: int) -> int:
    async def go():
        async with Client() as c:
            return await c.logs(pid)
    events = _run(go)
    shown = 0
    for ev in events:
        if ev.get("kind") == "rules.decision":
            rule = ev.get("rule") or "(no rule: default)"
            print(f"{ev.get('syscall', '?'):<14} {ev.get('effect', '?'):<5} {rule}  {ev.get('reason', '')}")
            shown += 1
        elif ev.get("kind") == "rules.plan" and not ev.get("ok"):
            for v in ev.get("violations", []):
                print(f"plan step {v.get('step')}: {v.get('syscall')} deny {v.get('rule')}  {v.get('reason')}")
                shown += 1
    if not shown:
        print(f"pid {pid}: no rule decisions logged")
    return 0


def _run(fn):
    try:
        return anyio.run(fn)
    except (NotRunning, KernelError) as exc:
        print(f"llmos: {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None


def approvals(args: argparse.Namespace) -> int:
    if args.action == "show":
        if not args.id:
            print("llmos: approvals show needs an approval id (`llmos approvals` lists them)", file=sys.stderr)
            return 2
        return show(args.id)

    async def go():
        async with Client() as c:
            return await c.approvals()
    pending = _run(go)
    if not pending:
        print("no approvals pending")
    for a in pending:
        print(approval_line(a))
    return 0


def show(approval: str) -> int:
    """``llmos approvals show ID``: one pending approval with every argument whole, escaped."""
    async def go():
        async with Client() as c:
            return await c.approval(approval, full=True)
    print(render_approval(_run(go), full=True))
    return 0


def approve(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            await c.approve(args.id)
    _run(go)
    print(f"approved {args.id}")
    return 0


def deny(args: argparse.Namespace) -> int:
    async def go():
        async with Client() as c:
            await c.deny(args.id, " ".join(args.reason))
    _run(go)
    print(f"denied {args.id}")
    return 0
