"""``llmos mem migrate --from SRC --to DST``: copy every collection between an on-disk store and a Chroma server."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import daemonctl
from ..textsafe import printable


def add_parser(ops: Any) -> None:
    p = ops.add_parser("migrate", help="copy every collection from one vector store to another",
                       description="SRC and DST are each a folder (an on-disk store) or a Chroma server's "
                                   "http(s)://HOST:PORT[/DATABASE]. Run twice, it copies nothing new.")
    p.add_argument("--from", dest="src", required=True, metavar="SRC")
    p.add_argument("--to", dest="dst", required=True, metavar="DST")
    p.set_defaults(func=main)


def held_by_daemon(spec: str, home: Path, daemon_store: str) -> bool:
    """An on-disk store the running daemon has open (chromadb on disk is not safe to open twice)."""
    from drivers.vectors import is_server, store_path
    if is_server(spec):
        return False
    mine = store_path(daemon_store, home).resolve() if not is_server(daemon_store) else None
    return mine is not None and store_path(spec, Path.cwd()).resolve() == mine


def main(args: argparse.Namespace) -> int:
    from drivers.errors import DriverError
    from drivers.vectors import describe, is_server, open_store
    from drivers.vectors.migrate import Copied, copy_store
    from kernel.settings import SettingsError, load

    try:
        cfg = load().config
        src_at, dst_at = describe(args.src, Path.cwd()), describe(args.dst, Path.cwd())
    except (DriverError, SettingsError) as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 2
    home = Path(cfg.home)
    if src_at == dst_at:
        print(f"llmos: --from and --to are the same store ({printable(src_at)})", file=sys.stderr)
        return 2
    if daemonctl.is_running(home) is not None:
        for spec in (args.src, args.dst):
            if held_by_daemon(spec, home, cfg.memory.store):
                print(f"llmos: the running daemon holds {printable(describe(spec, Path.cwd()))}; stop it first "
                      "(llmos halt)", file=sys.stderr)
                return 1
    if not is_server(args.src) and not (Path(src_at) / "chroma.sqlite3").is_file():  # never make one at SRC
        print(f"llmos: no vector store at {printable(src_at)}", file=sys.stderr)
        return 1

    def show(c: Copied) -> None:
        print(f"\r{printable(c.collection)}: {c.read} read, {c.copied} copied", end="", file=sys.stderr, flush=True)

    src = dst = None
    try:
        src = open_store(args.src, Path.cwd(), timeout=cfg.memory.store_timeout)
        dst = open_store(args.dst, Path.cwd(), timeout=cfg.memory.store_timeout)
        done = copy_store(src, dst, progress=show)
    except DriverError as exc:
        print(f"\nllmos: {exc}", file=sys.stderr)
        return 1
    finally:
        for s in (src, dst):
            if s is not None:
                s.close()
    if done:
        print(file=sys.stderr)
    copied, present = sum(c.copied for c in done), sum(c.present for c in done)
    print(f"copied {copied} items in {len(done)} collections from {printable(src_at)} to {printable(dst_at)} "
          f"({present} already there)")
    return 0
