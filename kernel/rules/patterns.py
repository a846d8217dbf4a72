"""Pattern compilers: syscall-name globs, path globs with **, domain patterns, safe regexes."""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

try:  # the `regex` module gives every match a timeout; stdlib re is the fallback
    import regex as _regex
except ImportError:  # pragma: no cover - depends on the environment
    _regex = None

from kernel.rules.normalize import HostForms, Unnormalisable, host_ascii

try:
    from re import _parser as _sre_parse  # type: ignore[attr-defined]  # Python 3.11+; private, so not in typeshed
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse

REGEX_TIMEOUT_S = 0.05  # one search
DECISION_REGEX_BUDGET_S = 0.2  # all searches of one decision together
FALLBACK_MAX_CHARS = 2048  # without `regex`, longer texts are not searched by repeat patterns
HAVE_REGEX_TIMEOUT = _regex is not None


class PatternError(ValueError):
    """A pattern in a rules file is invalid or unsafe."""


class RegexTimeout(RuntimeError):
    """A regular expression ran past its time bound."""


def name_glob(pattern: str) -> Callable[[str], bool]:
    """fnmatch-style glob for syscall names and app names (case-sensitive)."""
    if not any(c in pattern for c in "*?["):
        return pattern.__eq__
    rx = re.compile(fnmatch.translate(pattern))
    return lambda name: rx.match(name) is not None


def path_glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a path glob: * and ? stay in one segment, ** spans segments."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith("/**", i) and (i + 3 == n or pattern[i + 3] == "/"):
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(re.escape("["))
                i += 1
                continue
            body = pattern[i + 1 : j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error as exc:
        raise PatternError(f"invalid path glob {pattern!r}: {exc}") from None


class DomainPattern:
    """`bank.example` matches that host only; `*.bank.example` matches it and every subdomain."""

    __slots__ = ("base", "text", "wildcard")

    def __init__(self, text: str):
        self.text = text
        raw = text.strip()
        self.wildcard = raw.startswith("*.")
        if raw == "*":
            self.base = ""
            self.wildcard = True
            return
        if self.wildcard:
            raw = raw[2:]
        if "*" in raw or "/" in raw or ":" in raw:
            raise PatternError(f"domain pattern {text!r}: only a leading '*.' is allowed")
        try:
            self.base = host_ascii(raw)
        except Unnormalisable as exc:
            raise PatternError(f"domain pattern {text!r}: {exc}") from None

    def matches(self, host: str) -> bool:
        if not self.base:
            return True
        if host == self.base:
            return True
        return self.wildcard and host.endswith("." + self.base)


def domain_matches(patterns: list[DomainPattern], forms: HostForms, restrictive: bool) -> bool:
    """Permissive rules compare the real (punycode) host and never match a mixed-script host;
    restrictive rules also match a host that merely looks like a listed one."""
    if not restrictive:
        return not forms.mixed_script and any(p.matches(forms.ascii) for p in patterns)
    return any(p.matches(forms.ascii) or p.matches(forms.skeleton) for p in patterns)


# --- regular expressions ------------------------------------------------------------

_REPEATS = {_sre_parse.MAX_REPEAT, _sre_parse.MIN_REPEAT}
_POSSESSIVE = getattr(_sre_parse, "POSSESSIVE_REPEAT", None)  # probe: only Python 3.11+ has possessive repeats
_MAXREPEAT = _sre_parse.MAXREPEAT


def _has_repeat(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op in _REPEATS and av[1] > 1:
            return True
        if _sub_items(op, av) and any(_has_repeat(sub) for sub in _sub_items(op, av)):
            return True
    return False


def _has_groupref(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op in (_sre_parse.GROUPREF, _sre_parse.GROUPREF_EXISTS):
            return True
        if any(_has_groupref(sub) for sub in _sub_items(op, av)):
            return True
    return False


def _first_literal(items: Iterable[tuple[Any, Any]]) -> int | None:
    """The literal a branch must start with, or None when it could start with many things."""
    for op, av in items:
        if op is _sre_parse.LITERAL:
            return int(av)
        if op is _sre_parse.SUBPATTERN:
            return _first_literal(av[3])
        return None
    return None


def _has_overlapping_branch(items: Iterable[tuple[Any, Any]]) -> bool:
    """An alternation whose branches can start alike (a|ab, \\w|x) backtracks exponentially
    under an unbounded repeat; one whose branches start with distinct literals does not."""
    for op, av in items:
        if op is _sre_parse.BRANCH:
            firsts = [_first_literal(list(b)) for b in av[1]]
            if None in firsts or len(set(firsts)) < len(firsts):
                return True
        if any(_has_overlapping_branch(sub) for sub in _sub_items(op, av)):
            return True
    return False


def _sub_items(op: Any, av: Any) -> list[Any]:
    if op in _REPEATS or (_POSSESSIVE is not None and op is _POSSESSIVE):
        return [av[2]]
    if op is _sre_parse.SUBPATTERN:
        return [av[3]]
    if op is _sre_parse.BRANCH:
        return list(av[1])
    if op in (_sre_parse.ASSERT, _sre_parse.ASSERT_NOT):
        return [av[1]]
    if op is _sre_parse.GROUPREF_EXISTS:
        return [x for x in av[1:] if x is not None]
    if getattr(_sre_parse, "ATOMIC_GROUP", None) is op:  # probe: only Python 3.11+ has atomic groups
        return [av]
    return []


BOUNDED_NEST_MAX = 8  # (x+){n}: n nested unbounded repeats backtrack like O(len**n); above this, refused


def _has_unbounded_repeat(items: Iterable[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if op in _REPEATS and av[1] == _MAXREPEAT:
            return True
        if any(_has_unbounded_repeat(sub) for sub in _sub_items(op, av)):
            return True
    return False


def _check_nesting(items: Iterable[tuple[Any, Any]], pattern: str) -> None:
    for op, av in items:
        if op in _REPEATS and av[1] != _MAXREPEAT and av[1] > BOUNDED_NEST_MAX \
                and _has_unbounded_repeat(av[2]):
            raise PatternError(
                f"regex {pattern!r} repeats an unbounded repeat {av[1]} times "
                "(catastrophic backtracking); rewrite it without nested quantifiers"
            )
        if op in _REPEATS and av[1] == _MAXREPEAT:
            body = av[2]
            if _has_repeat(body):
                raise PatternError(
                    f"regex {pattern!r} nests a repeat inside an unbounded repeat "
                    "(catastrophic backtracking); rewrite it without nested quantifiers"
                )
            if _has_overlapping_branch(body):
                raise PatternError(
                    f"regex {pattern!r} repeats an alternation without bound "
                    "(can backtrack exponentially); use a character class or bound it"
                )
        for sub in _sub_items(op, av):
            _check_nesting(sub, pattern)


class SafeRegex:
    """A compiled regex that refused nested quantifiers at load and is time-bounded at match."""

    __slots__ = ("_compiled", "_linear", "pattern")

    def __init__(self, pattern: str):
        self.pattern = pattern
        try:
            parsed = _sre_parse.parse(pattern)
            re.compile(pattern)
        except re.error as exc:
            raise PatternError(f"invalid regex {pattern!r}: {exc}") from None
        except RecursionError:
            raise PatternError(f"regex {pattern!r} is nested too deeply") from None
        _check_nesting(list(parsed), pattern)
        # Without repeats or backreferences a search is O(len(text) * len(pattern)) in any
        # engine, so the faster stdlib re is safe; otherwise use `regex` for its timeout.
        self._linear = not _has_repeat(list(parsed)) and not _has_groupref(list(parsed))
        if _regex is not None and not self._linear:
            try:
                self._compiled = _regex.compile(pattern, _regex.VERSION0)
            except _regex.error as exc:
                raise PatternError(f"invalid regex {pattern!r}: {exc}") from None
        else:
            self._compiled = re.compile(pattern)

    def search(self, text: str, memo: dict[Any, Any] | None = None) -> bool:
        """Search `text`. Raises RegexTimeout past the per-match timeout or once this
        decision's total regex time (shared through `memo`) is spent."""
        if self._linear:
            return self._compiled.search(text) is not None
        if _regex is None:  # no timeouts available: only short texts are searched
            if len(text) > FALLBACK_MAX_CHARS:
                raise RegexTimeout(f"regex {self.pattern!r}: text of {len(text)} characters is "
                                   "too long to search without the `regex` package")
            return self._compiled.search(text) is not None
        now = time.monotonic()
        memo = {} if memo is None else memo
        deadline = memo.setdefault("regex_deadline", now + DECISION_REGEX_BUDGET_S)
        if now >= deadline:
            raise RegexTimeout("regex time budget for this decision is spent")
        limit = min(REGEX_TIMEOUT_S, deadline - now)
        try:
            return self._compiled.search(text, timeout=limit) is not None
        except TimeoutError:
            if limit < REGEX_TIMEOUT_S:
                raise RegexTimeout("regex time budget for this decision is spent") from None
            raise RegexTimeout(f"regex {self.pattern!r} timed out") from None
