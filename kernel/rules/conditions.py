"""Compiled rule conditions; each answers True, False or None (cannot tell) for a call.

A condition that cannot tell (wrong type, oversized value, unparsable URL) counts as a
match for a restrictive rule (deny/ask) and as no match for a permissive one (allow), and
every normalised form of a value must match for allow while any form suffices for deny/ask.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from kernel.rules.model import Call
from kernel.rules.normalize import HostForms, Unnormalisable, path_forms, text_forms
from kernel.rules.patterns import DomainPattern, SafeRegex, domain_matches

MISSING = object()
MAX_LIST_ITEMS = 1000
NUM_OPS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt, "ge": operator.ge, "lt": operator.lt,
    "le": operator.le, "eq": operator.eq, "ne": operator.ne,
}
SYMBOL_OPS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq", "!=": "ne"}


def lookup(args: dict[str, Any], name: str) -> Any:
    """args[name], or a dotted path into nested dicts (`payment.amount`)."""
    if name in args:
        return args[name]
    node: Any = args
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _forms(memo: dict[Any, Any], kind: str, fn: Callable[..., Any], value: str, *extra: Any) -> Any:
    """Normalise a value once per decision, however many rules look at it.
    A value that cannot be normalised is remembered as None."""
    key = (kind, value, *extra)
    try:
        return memo[key]
    except KeyError:
        pass
    try:
        out = fn(value, *extra)
    except Unnormalisable:
        out = None
    memo[key] = out
    return out


def _combine(results: Iterable[bool | None], restrictive: bool) -> bool | None:
    """Any form matching suffices for restrictive rules; permissive rules need all of them."""
    seen_none = False
    seen_any = False
    for r in results:
        seen_any = True
        if r is None:
            seen_none = True
        elif r and restrictive:
            return True
        elif not r and not restrictive:
            return False
    if not seen_any:
        return False
    if seen_none:
        return None
    return not restrictive


class ArgCondition:
    """Base for conditions on one named argument; lists are checked element by element."""

    kind = "arg"

    def __init__(self, arg: str, restrictive: bool):
        self.arg = arg
        self.restrictive = restrictive

    def __call__(self, call: Call, memo: dict[Any, Any] | None = None) -> bool | None:
        value = lookup(call.args, self.arg)
        if value is MISSING or value is None:
            return False
        memo = {} if memo is None else memo
        if isinstance(value, (list, tuple)):
            if len(value) > MAX_LIST_ITEMS:
                return None
            return _combine((self.one(v, memo) for v in value), self.restrictive)
        return self.one(value, memo)

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.kind}({self.arg})"


class GlobCondition(ArgCondition):
    kind = "glob"

    def __init__(self, arg: str, restrictive: bool, regexes: list[re.Pattern[str]], home: str):
        super().__init__(arg, restrictive)
        self.regexes = regexes
        self.home = home

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        if not isinstance(value, str):
            return None
        forms = _forms(memo, "path", path_forms, value, self.home)
        if forms is None:
            return None
        return _combine(
            (any(rx.fullmatch(f) for rx in self.regexes) for f in forms), self.restrictive
        )


class LikeCondition(ArgCondition):
    kind = "like"

    def __init__(self, arg: str, restrictive: bool, matchers: list[Callable[[str], bool]]):
        super().__init__(arg, restrictive)
        self.matchers = matchers

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        if not isinstance(value, str):
            return None
        forms = _forms(memo, "text", text_forms, value)
        if forms is None:
            return None
        return _combine((any(m(f) for m in self.matchers) for f in forms), self.restrictive)


class InCondition(ArgCondition):
    kind = "in"

    def __init__(self, arg: str, restrictive: bool, values: list[Any]):
        super().__init__(arg, restrictive)
        self.values = values
        self.folded = {v.casefold() for v in values if isinstance(v, str)}

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        if isinstance(value, str):
            forms = _forms(memo, "text", text_forms, value)
            if forms is None:
                return None
            if self.restrictive:
                return any(f in self.values or f.casefold() in self.folded for f in forms)
            return all(f in self.values for f in forms)
        if isinstance(value, (int, float, bool)):
            return value in self.values
        return None


class DomainCondition(ArgCondition):
    kind = "domain"

    def __init__(self, arg: str, restrictive: bool, patterns: list[DomainPattern]):
        super().__init__(arg, restrictive)
        self.patterns = patterns

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        if not isinstance(value, str):
            return None
        forms = _forms(memo, "host", HostForms, value)
        if forms is None:
            return None
        return domain_matches(self.patterns, forms, self.restrictive)


class RegexCondition(ArgCondition):
    kind = "regex"

    def __init__(self, arg: str, restrictive: bool, rx: SafeRegex):
        super().__init__(arg, restrictive)
        self.rx = rx

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return None
        forms = _forms(memo, "text", text_forms, value)
        if forms is None:
            return None
        return _combine((self.rx.search(f, memo) for f in forms), self.restrictive)


def as_number(value: Any) -> float | None:
    """A finite number from an int/float or a plain decimal string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        num = float(value)
    elif isinstance(value, str) and 0 < len(value) <= 64 and "_" not in value:
        try:
            num = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return num if math.isfinite(num) else None


class NumberCondition(ArgCondition):
    kind = "number"

    def __init__(self, arg: str, restrictive: bool, ops: list[tuple[str, float]]):
        super().__init__(arg, restrictive)
        self.ops = ops

    def one(self, value: Any, memo: dict[Any, Any]) -> bool | None:
        num = as_number(value)
        if num is None:
            return None
        return all(NUM_OPS[op](num, bound) for op, bound in self.ops)

    def describe(self) -> str:
        return "number(" + " and ".join(f"{self.arg} {op} {b:g}" for op, b in self.ops) + ")"


class BudgetCondition:
    kind = "budget"

    def __init__(self, name: str, ops: list[tuple[str, float]]):
        self.name = name
        self.ops = ops
        self.alt = name[: -len("_left")] if name.endswith("_left") else name + "_left"

    def __call__(self, call: Call, memo: dict[Any, Any] | None = None) -> bool | None:
        budgets = call.budgets_left
        value = budgets.get(self.name, budgets.get(self.alt, MISSING))
        if value is MISSING:
            return False
        num = as_number(value)
        if num is None:
            return None
        return all(NUM_OPS[op](num, bound) for op, bound in self.ops)

    def describe(self) -> str:
        return "budget(" + " and ".join(f"{self.name} {op} {b:g}" for op, b in self.ops) + ")"


class UntrustedCondition:
    """derived_from_untrusted = true (any argument) / false (none) / [names]."""

    kind = "untrusted"

    def __init__(self, want: bool, names: list[str] | None):
        self.want = want
        self.names = names

    def __call__(self, call: Call, memo: dict[Any, Any] | None = None) -> bool | None:
        marked = call.untrusted_args
        if not isinstance(marked, (list, tuple, set, frozenset)):
            return None
        if self.names is None:
            hit = len(marked) > 0
        else:
            hit = any(
                m == n or m.startswith(n + ".") or n.startswith(m + ".")
                for m in marked for n in self.names
            )
        return hit if self.want else not hit

    def describe(self) -> str:
        return f"derived_from_untrusted={self.names or self.want}"
