"""Preferences: explicit ones the person states and ones learned from the choices they make."""
from __future__ import annotations

import hashlib
from typing import Any, Sequence

from drivers.vectors import Item
from kernel.memory.swap import new_mem_id


def preference_item(text: str, *, user: str, base: dict[str, Any], now: float, **meta: Any) -> Item:
    """``I prefer aisle seats`` as an item of kind ``preference`` (source ``explicit``)."""
    return Item(new_mem_id(), text, {**base, **meta, "user": user, "kind": "preference", "source": "explicit",
                                     "learned": False, "time": now, "importance": 1.0})


def choice_id(options: Sequence[str], chosen: str) -> str:
    """The same choice among the same options always maps to the same memory."""
    key = "\x1f".join([chosen.strip().lower(), *sorted(o.strip().lower() for o in options)])
    return "c-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def choice_text(options: Sequence[str], chosen: str, evidence: str = "", times: int = 1) -> str:
    others = [o for o in options if o.strip().lower() != chosen.strip().lower()]
    text = f"The user prefers {chosen}"
    if others:
        text += f" over {', '.join(others)}"
    text += f" (chosen {times} time{'s' if times != 1 else ''})"
    if evidence:
        text += f"; evidence: {evidence}"
    return text


def choice_item(options: Sequence[str], chosen: str, evidence: str = "", *, user: str, base: dict[str, Any],
                now: float, times: int = 1) -> Item:
    """A learned preference (source ``choice``) from picking ``chosen`` among ``options``."""
    if not chosen or not chosen.strip():
        raise ValueError("learn_choice needs the chosen option")
    return Item(choice_id(options, chosen), choice_text(options, chosen, evidence, times), {
        **base, "user": user, "kind": "preference", "source": "choice", "learned": True, "time": now,
        "chosen": chosen[:500], "options": " | ".join(options)[:2000], "times": times,
        "importance": min(1.0, 0.5 + 0.1 * times)})
