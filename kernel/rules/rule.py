"""A compiled rule: which syscalls and apps it covers, its conditions, effect and reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kernel.rules.model import PRECEDENCE, Call
from kernel.rules.ratelimit import RateWindows

Matcher = Callable[[str], Any]


class Rule:
    """One rule from a rules file, precompiled. `evaluate` is pure except for rate windows."""

    __slots__ = (
        "app_matchers",
        "apps",
        "conditions",
        "effect",
        "id",
        "level",
        "name_matchers",
        "names",
        "order",
        "precedence",
        "rate",
        "reason",
        "restrictive",
        "source",
        "user_matchers",
        "users",
    )

    def __init__(self, *, id: str, effect: str, reason: str, source: str, level: str,
                 order: int, names: list[str], name_matchers: list[Matcher],
                 apps: list[str] | None, app_matchers: list[Matcher] | None,
                 users: list[str] | None, user_matchers: list[Matcher] | None,
                 conditions: list[Any], rate: tuple[int, float] | None):
        self.id = id
        self.effect = effect
        self.precedence = PRECEDENCE[effect]
        self.restrictive = effect != "allow"
        self.reason = reason
        self.source = source
        self.level = level
        self.order = order
        self.names = names
        self.name_matchers = name_matchers
        self.apps = apps
        self.app_matchers = app_matchers
        self.users = users
        self.user_matchers = user_matchers
        self.conditions = conditions
        self.rate = rate

    # Static part, evaluated once per (name, app, user) and cached by the engine.
    def covers(self, name: str, app: str, user: str) -> bool:
        if not any(m(name) for m in self.name_matchers):
            return False
        if self.app_matchers is not None and not any(m(app) for m in self.app_matchers):
            return False
        return self.user_matchers is None or any(m(user) for m in self.user_matchers)

    def conditions_hold(self, call: Call, memo: dict[Any, Any] | None = None) -> tuple[bool, list[str]]:
        """(matches, notes). Uncertain conditions match only restrictive rules. `memo` holds
        normalised argument forms shared by all rules within one decision."""
        notes: list[str] = []
        memo = {} if memo is None else memo
        for cond in self.conditions:
            result = cond(call, memo)
            if result is False:
                return False, notes
            if result is None:
                if not self.restrictive:
                    return False, notes
                notes.append(f"{cond.describe()} could not be checked; treated as matching")
        return True, notes

    def rate_exceeded(self, call: Call, windows: RateWindows, extra: int = 0) -> bool:
        if self.rate is None:  # a rule without a rate limit is never over it
            return False
        limit, span = self.rate
        return windows.exceeded((call.app, self.id), float(call.now), limit, span, extra)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "effect": self.effect, "reason": self.reason,
                "source": self.source, "level": self.level}

    def __repr__(self) -> str:
        return f"Rule({self.id!r}, {self.effect}, match={self.names})"
