"""``llmos eval APP SUITE``: run an app over a suite and write a report (llmos/eval/), optionally against an old one."""
from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any, Callable

import anyio

from .. import kflags
from ..argtypes import positive as _positive
from ..eval import compare as cmp
from ..eval import report
from ..eval.suite import SPLITS, SuiteError, load_suite


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="run an app over an eval suite and report success, cost and failures")
    p.add_argument("app", help="the app to evaluate, e.g. pal")
    p.add_argument("suite", help="a bundled suite (math, tools, functions, memory, browser) or a path to a .jsonl file")
    p.add_argument("--split", choices=SPLITS, default="all", help="dev, heldout or all items (default: all)")
    p.add_argument("--samples", type=_positive, default=1, help="runs of each item (default 1)")
    kflags.add(p, policy=False, slots_help="LLM sequence slots of an in-process kernel")
    p.add_argument("--concurrency", type=_positive, default=2, help="items run at once (default 2)")
    p.add_argument("--timeout", type=_positive, default=600, help="seconds an item may run before it is killed")
    p.add_argument("--limit", type=_positive, default=None, help="only the first N items of the split")
    p.add_argument("--wrap", default=None, metavar="TEMPLATE",
                   help='send each task inside TEMPLATE, {task} standing for it as a JSON string '
                        '(e.g. \'{"question": {task}, "rank": false}\' to turn off an app option)')
    p.add_argument("--approve", action="store_true",
                   help="answer yes to the approvals and confirmations of the eval's own processes, as a person "
                        "at the shell would (the browser suite's checkouts need it); without it they wait and expire")
    p.add_argument("--out", type=Path, default=None, help="folder for report.json/.md (default eval-runs/...)")
    p.add_argument("--compare", type=Path, default=None, metavar="OLD.json", help="an earlier report.json to test against")
    p.set_defaults(func=main)


def _error(msg: str) -> int:
    print(f"llmos eval: {msg}", file=sys.stderr)
    return 2


def main(args: argparse.Namespace) -> int:
    try:
        suite = load_suite(args.suite)
        old = report.load(args.compare) if args.compare else None
    except (SuiteError, ValueError) as exc:
        return _error(str(exc))
    if args.wrap is not None:
        if "{task}" not in args.wrap:
            return _error("--wrap needs {task} in its template")
        suite = wrap(suite, args.wrap)
    items = suite.half(args.split)[: args.limit]
    if not items:
        return _error(f"the {args.split} split of {suite.name} is empty")
    from ..commands.procs import daemon_running
    on_daemon = daemon_running()
    if on_daemon and (args.model or args.slots):
        return _error("--model and --slots set an in-process kernel; a kernel daemon is running (`llmos halt` first)")
    out = args.out or Path("eval-runs") / f"{args.app}-{suite.name}-{args.split}-{time.strftime('%Y%m%d-%H%M%S')}"
    meta = {"app": args.app, "suite": suite.name, "split": args.split, "samples": args.samples, "wrap": args.wrap,
            "concurrency": args.concurrency, "approve": args.approve, "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    t0 = time.monotonic()
    done: list = []  # outcomes as they finish: an interrupted run still reports them
    state: dict[str, Any] = {"backend": "?", "approved": []}

    def ran() -> dict[str, Any]:  # the run's description, as it stands when it ends
        return {**meta, "backend": state["backend"], "approved": len(state["approved"]),
                "seconds": round(time.monotonic() - t0, 1)}
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        outcomes, state["backend"] = anyio.run(_go, args, suite, items, on_daemon, done, state)
    except _Stop as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        if not done:
            return 130
        summary = report.summarize(done, {**ran(), "partial": True, "planned": len(items) * args.samples})
        js, md = report.write(summary, out)
        print(f"llmos eval: interrupted; wrote a partial report of {len(done)} of {len(items) * args.samples} runs: {js}",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    summary = report.summarize(outcomes, ran())
    js, md = report.write(summary, out)
    print(f"{args.app} on {suite.name} ({args.split}): {report.pct(summary['overall'])}; "
          f"{summary['wrong_answers']} wrong, {summary['system_failures']} system failures")
    for cat, r in summary["categories"].items():
        print(f"  {cat:<16} {r['passed']:>3}/{r['total']:<3} {r['rate']:>4.0%}  [{r['low']:.0%}–{r['high']:.0%}]")
    if old is not None:
        c = cmp.compare(old, summary)
        text = cmp.markdown(c, str(args.compare), str(js))
        with md.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
        summary["compare"] = c
        js.write_text(json.dumps(summary, indent=1), encoding="utf-8")
        print(text, end="")
    print(f"wrote {js} and {md}")
    return 0


def wrap(suite: Any, template: str) -> Any:
    """The suite with every turn put inside ``template`` (``{task}`` becomes the turn as a JSON string)."""
    import msgspec
    items = [msgspec.structs.replace(i, task=[template.replace("{task}", json.dumps(t)) for t in i.turns]
                                     if isinstance(i.task, list) else template.replace("{task}", json.dumps(i.task)))
             for i in suite.items]
    return msgspec.structs.replace(suite, items=items)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # TERM ends the run as Ctrl-C does: what finished is still reported


class _Stop(Exception):
    """A reason the run cannot start, said in one line."""


async def _go(args: argparse.Namespace, suite: Any, items: list, on_daemon: bool, done: list,
              state: dict) -> tuple[list, str]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..eval.approve import approving
    from ..eval.runner import run_suite
    counts = {"ok": 0, "wrong": 0, "system": 0}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        task = bar.add_task(f"{args.app} on {suite.name}", total=len(items) * args.samples)

        def tick(o) -> None:
            done.append(o)
            counts["ok" if o.passed else "system" if o.system else "wrong"] += 1
            bar.update(task, advance=1, description=f"{args.app} on {suite.name}: {counts['ok']} right, "
                                                    f"{counts['wrong']} wrong, {counts['system']} system")

        async def run(make: Callable[[Any], Any], channel: Any) -> tuple[list, str]:
            """Run the items on ``make(on_spawn)``'s backend; with ``--approve``, answering for its processes."""
            async with approving(channel) if args.approve else contextlib.nullcontext() as approver:
                backend = make(approver.adopt if approver is not None else None)
                state["backend"] = backend.name
                if approver is not None:
                    state["approved"] = approver.approved
                outcomes = await run_suite(backend, args.app, items, Path(suite.path).parent, samples=args.samples,
                                           concurrency=args.concurrency, timeout=args.timeout, progress=tick)
                return outcomes, backend.name
        if on_daemon:
            from ..channels import RemoteChannel
            from ..client import Client
            from ..eval.backends import DaemonBackend
            async with Client() as c:
                return await run(lambda on_spawn: DaemonBackend(c, on_spawn), RemoteChannel(c))
        return await _local(args, run, browser=any(i.site for i in items))


async def _local(args: argparse.Namespace, run, *, browser: bool) -> tuple[list, str]:
    """An in-process kernel built as ``llmos run`` builds one (llmos/runlocal.py), with the browser
    subsystem when the items browse a demo site (``browser``) and the person's desk with ``--approve``
    (a confirmation needs one to be answered), whatever the configuration leaves out."""
    import msgspec

    from apps.registry import AppRegistry
    from drivers.llm import EngineError
    from kernel import Kernel
    from kernel.settings import SettingsError

    from ..channels import LocalChannel
    from ..eval.backends import KernelBackend
    from ..kflags import config_from
    from ..runlocal import uses_sandbox
    try:
        cfg = config_from(args)
    except SettingsError as exc:
        raise _Stop(f"configuration error: {exc}") from None
    registry = AppRegistry(installed_dir=cfg.home_path() / "apps")
    try:
        registry.get(args.app)
    except KeyError:
        raise _Stop(registry.not_found(args.app)) from None
    if not uses_sandbox(registry, args.app):
        cfg = msgspec.structs.replace(cfg, sandbox_pool=0)
    needed = (["browser"] if browser else []) + (["person"] if args.approve else [])
    if cfg.subsystems is not None and set(needed) - set(cfg.subsystems):
        cfg = msgspec.structs.replace(cfg, subsystems=[*cfg.subsystems, *(n for n in needed if n not in cfg.subsystems)])
    try:
        async with Kernel(cfg, engine=kflags.engine_for(cfg), engines=kflags.engines_for(cfg), registry=registry) as k:
            return await run(lambda on_spawn: KernelBackend(k, on_spawn), LocalChannel(k))
    except EngineError as exc:
        raise _Stop(f"cannot start the model: {exc}") from None
