"""``llmos mem store/search/list/forget``: the person's long-term memory, through the daemon when one runs (``migrate``: memmigrate.py)."""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from typing import Any

import anyio
import msgspec

from kernel.api import messages as m

from .. import daemonctl, remote
from ..client import Client, KernelError
from ..textsafe import printable
from . import memmigrate


def add_parsers(sub: argparse._SubParsersAction) -> None:
    mem = sub.add_parser("mem", help="long-term memory: store, search, list, forget, migrate")
    ops = mem.add_subparsers(dest="mem_cmd", metavar="OP", required=True)
    p = ops.add_parser("store", help="remember TEXT (a fact, or --kind preference)")
    p.add_argument("text", nargs="+")
    p.add_argument("--user", default=None, help="whose memory (default: you)")
    p.add_argument("--app", default=None, help="an app's memory instead of a user's")
    p.add_argument("--kind", default="fact", help="fact (default), preference, note, ...")
    p = ops.add_parser("search", help="the memories nearest in meaning to QUERY")
    p.add_argument("query", nargs="+")
    p.add_argument("--user", default=None)
    p.add_argument("--app", default=None)
    p.add_argument("-k", type=int, default=5, help="how many (default 5)")
    p = ops.add_parser("list", help="list memories, newest first")
    p.add_argument("--user", default=None)
    p.add_argument("--app", default=None)
    p.add_argument("--limit", type=int, default=100)
    p = ops.add_parser("forget", help="delete a memory for good")
    p.add_argument("id")
    for q in (mem, *ops.choices.values()):
        q.set_defaults(func=main)
    memmigrate.add_parser(ops)  # its own main: it works on stores, not through the daemon


def request_of(words: list[str] | argparse.Namespace) -> m.Request:
    """The API request for ``mem OP ...`` (CLI arguments or the shell's words); ValueError if malformed."""
    a = words if isinstance(words, argparse.Namespace) else _parse(words)
    raw: dict[str, Any]
    if a.mem_cmd == "store":
        raw = {"op": "mem.store", "text": " ".join(a.text), "user": a.user, "app": a.app, "kind": a.kind}
    elif a.mem_cmd == "search":
        raw = {"op": "mem.search", "query": " ".join(a.query), "user": a.user, "app": a.app, "k": a.k}
    elif a.mem_cmd == "list":
        raw = {"op": "mem.list", "user": a.user, "app": a.app, "limit": a.limit}
    elif a.mem_cmd == "forget":
        raw = {"op": "mem.forget", "mem_id": a.id}
    else:
        raise ValueError(f"mem {a.mem_cmd} runs from the command line (llmos mem {a.mem_cmd}), not here")
    try:
        return msgspec.convert(raw, m.AnyRequest)
    except msgspec.ValidationError as exc:
        raise ValueError(str(exc)) from None


def _parse(words: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="mem", exit_on_error=False, add_help=False)
    add_parsers(ap.add_subparsers(dest="cmd"))
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # the usage line below says it once
            return ap.parse_args(["mem", *words])
    except (argparse.ArgumentError, SystemExit) as exc:
        why = f" ({exc})" if isinstance(exc, argparse.ArgumentError) else ""  # SystemExit holds only a status
        raise ValueError(f"usage: mem store TEXT [--user U] [--app A] [--kind K] | mem search QUERY "
                         f"[--user U] [--app A] | mem list | mem forget ID{why}") from None


async def call(client: Client | None, req: m.Request) -> Any:
    """Through the daemon (only the kernel may open the store while it runs), else on the store here."""
    if client is not None:
        return await client.call(req)
    from pathlib import Path

    from kernel.api.handlers import ApiError
    from kernel.api.memapi import DO
    from kernel.memory.admin import MemoryAdmin
    from kernel.memory.lazy import kernel_store
    from kernel.settings import load

    cfg = load().config
    store = kernel_store(cfg.memory.store, Path(cfg.home), cfg.memory.store_timeout)
    try:
        admin = MemoryAdmin(store, default_user=local_user())
        return await anyio.to_thread.run_sync(DO[type(req)], admin, req)
    except ApiError as exc:
        raise KernelError(exc.code, str(exc)) from None
    finally:
        store.close()


def local_user() -> str:
    import os

    from kernel.memory.kernelmem import _login
    return os.environ.get("LLMOS_USER") or _login()


def render(req: m.Request, value: Any) -> list[str]:
    if isinstance(req, m.MemForget):
        return [f"forgot {req.mem_id} (from {value})"]
    if isinstance(req, m.MemStore):
        stored = msgspec.convert(value, m.MemItem)
        return [f"stored {stored.id} in {stored.collection} ({stored.kind})"]
    items = msgspec.convert(value, list[m.MemItem])
    if not items:
        return ["no memories" + (" match" if isinstance(req, m.MemSearch) else "")]
    out = []
    for it in items:
        when = time.strftime("%Y-%m-%d %H:%M  ", time.localtime(it.time)) if it.time else ""
        lead = f"{it.score:.2f}  " if it.score is not None else when
        out.append(f"{lead}{it.id}  {it.collection:<16} {it.kind:<10} {' '.join(it.text.split())[:120]}")
    return out


def main(args: argparse.Namespace) -> int:
    try:
        req = request_of(args)
    except ValueError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 2

    async def go() -> Any:
        if remote.target() is None and daemonctl.is_running() is None:
            return await call(None, req)
        async with Client() as c:
            return await call(c, req)
    try:
        value = anyio.run(go)
    except KernelError as exc:
        print(f"llmos: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # the local store failed: say what, never a traceback
        from drivers.errors import DriverError
        if not isinstance(exc, (DriverError, ValueError)):
            raise
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    print(printable("\n".join(render(req, value)), newlines=True))  # memories hold page and file text
    return 0
