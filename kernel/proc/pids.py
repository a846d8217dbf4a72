"""Is a host process alive?  kill(0), with zombies (killed, not yet reaped) counted as dead."""
from __future__ import annotations

import os
from pathlib import Path


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive all the same
        return True
    return not zombie(pid)


def zombie(pid: int) -> bool:
    """A killed process its parent has not reaped still answers kill(0): it is dead all the same."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].startswith(("Z", "X"))
