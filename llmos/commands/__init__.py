"""The CLI's subcommands that talk to the kernel daemon; ``add_parsers`` registers them all."""
from __future__ import annotations

import argparse

from . import apps, control, daemon, procs, run
from . import mem as mem_cmd


def add_parsers(sub: argparse._SubParsersAction) -> None:
    run.add_parsers(sub)
    control.add_parsers(sub)
    apps.add_parsers(sub)
    procs.add_parsers(sub)
    daemon.add_parser(sub)
    mem_cmd.add_parsers(sub)
    from . import sandbox
    sandbox.add_parser(sub)
    from . import ui
    ui.add_parsers(sub)
    from . import config, mcp
    config.add_parsers(sub)
    mcp.add_parsers(sub)
    from . import rules
    rules.add_parsers(sub)
    from . import person
    person.add_parsers(sub)
    from . import files
    files.add_parsers(sub)
    from . import eval as eval_cmd
    eval_cmd.add_parser(sub)
    from . import exec as exec_cmd
    exec_cmd.add_parser(sub)


__all__ = ["add_parsers"]
