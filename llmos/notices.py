"""What a person should hear about a finished run that its answer does not say: text the model never saw."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def cut_inputs(pid: int, events: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line for each message to the model (the task first) that was cut to fit the process's context."""
    out, seen = [], set()
    for ev in events:
        if ev.get("kind") != "mem.truncate" or ev.get("role") != "user" or ev.get("page_kind") != "message":
            continue
        if ev.get("tokens") in seen:  # the same input cut again on a later step: said once
            continue
        seen.add(ev.get("tokens"))
        ids = ev.get("mem_ids") or []
        where = f"; the full text is paged out as memory {ids[0]}" if ids else ""
        out.append(f"llmos: note: pid {pid}'s input of {ev.get('tokens')} tokens did not fit its context of "
                   f"{ev.get('limit')} tokens: the model saw only the first {ev.get('kept')} tokens{where}. "
                   "Split the task, or give the text as a file (`llmos run APP --file PATH`)")
    return out
