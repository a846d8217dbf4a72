"""Say so when ``--model``, ``--slots`` or ``--policy`` cannot apply because a kernel already runs."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def ignored(args: argparse.Namespace, stats: Any) -> str | None:
    """The notice for flags a running kernel (``stats``: its KernelStats) does not honour, or None.

    A flag that asks for what the kernel already has is no surprise and is not mentioned."""
    asked = {"--model": args.model, "--slots": args.slots, "--policy": args.policy}
    running = {"--model": stats.model or "embedded", "--slots": stats.slots_total, "--policy": stats.policy}
    differ = [f for f, v in asked.items() if v is not None
              and not (_same_model(v, stats.model) if f == "--model" else str(v) == str(running[f]))]
    if not differ:
        return None
    have = ", ".join(f"{f.removeprefix('--')} {running[f]}" for f in differ)
    want = " ".join(f"{f} {asked[f]}" for f in differ)
    return (f"llmos: note: the kernel already running (pid {stats.pid}) keeps its {have}; "
            f"{', '.join(differ)} {'is' if len(differ) == 1 else 'are'} ignored. "
            f"To change it: `llmos halt`, then `llmos boot {want}`")


def _same_model(asked: str, running: str) -> bool:
    """The engine names itself by its file's name or its URL; "" is the embedded model."""
    asked, running = asked.strip(), (running or "").strip()
    if not asked:
        return running in ("", "embedded") or "smollm2" in running.lower()
    return asked == running or Path(asked.split(":q")[0]).name == Path(running).name or asked in running
