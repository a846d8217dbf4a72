"""``llmos cp`` and ``llmos run --file``: files into and out of a process's workspace, in its app's files scope."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..client import Client, KernelError
from . import procs

MAX_FILES = 4 * 1024 * 1024  # all --file contents together: they travel in one kernel API frame
_REMOTE = re.compile(r"^(\d+):(.+)$")


class FileArgError(ValueError):
    """A ``--file`` or ``cp`` argument that cannot be used; the message says why."""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cp", help="copy a file into or out of a process's workspace (PID:path)",
                       usage="llmos cp FILE PID:path | llmos cp PID:path FILE|-")
    p.add_argument("source", help="a local file, or PID:path in a process's workspace")
    p.add_argument("dest", help="PID:path, or a local file or folder ('-' prints it)")
    p.set_defaults(func=cp)


def add_run_flag(run: argparse.ArgumentParser) -> None:
    run.add_argument("--file", action="append", default=[], metavar="PATH[:NAME]",
                     help="put a file in the process's workspace before it starts (as NAME; repeatable)")


def read_specs(specs: list[str]) -> dict[str, bytes]:
    """``PATH[:NAME]`` arguments as {name in the workspace: bytes}."""
    out: dict[str, bytes] = {}
    for spec in specs:
        path, name = Path(spec), ""
        if not path.exists() and ":" in spec:
            head, _, name = spec.rpartition(":")
            path = Path(head)
        path = path.expanduser()
        if not path.is_file():
            raise FileArgError(f"--file {spec}: no such file {str(path)!r}" if not path.exists()
                               else f"--file {spec}: {path} is not a file")
        name = name or path.name
        if name in out:
            raise FileArgError(f"--file {spec}: two files would be named {name!r} in the workspace; "
                               "give one another name with PATH:NAME")
        try:
            out[name] = path.read_bytes()
        except OSError as exc:
            raise FileArgError(f"--file {spec}: {exc.strerror or exc}") from None
    total = sum(len(d) for d in out.values())
    if total > MAX_FILES:
        raise FileArgError(f"--file: {total} bytes in all is over the {MAX_FILES} bytes a run may carry; "
                           "copy big files with `llmos cp` into a running process instead")
    return out


def remote(arg: str) -> tuple[int, str] | None:
    m = _REMOTE.match(arg)
    return (int(m.group(1)), m.group(2)) if m else None


def cp(args: argparse.Namespace) -> int:
    src, dst = remote(args.source), remote(args.dest)
    if (src is None) == (dst is None):
        print("llmos: cp copies between a local file and a process: one side is PID:path, "
              "e.g. `llmos cp notes.txt 12:notes.txt` or `llmos cp 12:out.txt .`", file=sys.stderr)
        return 2
    try:
        if dst is not None:
            local = Path(args.source).expanduser()
            if not local.is_file():
                raise FileArgError(f"{args.source}: no such file" if not local.exists() else
                                   f"{args.source} is not a file")
            data = local.read_bytes()

            async def put():
                async with Client() as c:
                    return await c.copy_in(dst[0], dst[1], data)
            n = procs._run(put)
            print(f"copied {n} bytes to pid {dst[0]}:{dst[1]}")
            return 0
        assert src is not None

        async def get():
            async with Client() as c:
                return await c.copy_out(src[0], src[1])
        data = procs._run(get)
        if args.dest == "-":
            sys.stdout.buffer.write(data)
            return 0
        target = Path(args.dest).expanduser()
        if target.is_dir():
            target = target / Path(src[1]).name
        target.write_bytes(data)
        print(f"copied {len(data)} bytes from pid {src[0]}:{src[1]} to {target}")
        return 0
    except FileArgError as exc:
        print(f"llmos: {exc}", file=sys.stderr)
        return 1
    except KernelError as exc:
        print(f"llmos: {exc.message}", file=sys.stderr)
        return 1


__all__ = ["FileArgError", "add_parsers", "add_run_flag", "cp", "read_specs"]
