"""Load rules files (TOML) into compiled rules; a malformed file raises RulesError(file, line)."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import msgspec

from kernel.rules.conditions import (
    NUM_OPS,
    SYMBOL_OPS,
    BudgetCondition,
    DomainCondition,
    GlobCondition,
    InCondition,
    LikeCondition,
    NumberCondition,
    RegexCondition,
    UntrustedCondition,
)
from kernel.rules.errors import RulesError
from kernel.rules.model import EFFECTS
from kernel.rules.names import KNOWN_SYSCALLS
from kernel.rules.normalize import normalise_pattern_path
from kernel.rules.patterns import DomainPattern, PatternError, SafeRegex, name_glob, path_glob_regex
from kernel.rules.ratelimit import parse_rate
from kernel.rules.rule import Rule

LEVELS = ("system", "user", "app")
TOP_KEYS = {"version", "rule"}
RULE_KEYS = {"id", "effect", "match", "app", "user", "args", "budget",
             "derived_from_untrusted", "rate", "reason", "description"}
ARG_KEYS = {"glob", "like", "domain", "regex", "in"} | set(NUM_OPS)
DEFAULT_HOME = "/~"
Fail = Callable[[str], NoReturn]  # raises RulesError at the rule and key that are wrong
_BUDGET_EXPR = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_TOML_POS = re.compile(r"at line (\d+), column (\d+)")
_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]")


class RuleSet(msgspec.Struct, kw_only=True):
    """The compiled rules of one file (or string), with load-time warnings."""

    source: str
    level: str
    rules: list[Any]
    warnings: list[str] = msgspec.field(default_factory=list)


class _Locator:
    """Finds the line of a rule or one of its keys by scanning the TOML source."""

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, ln in enumerate(self.lines) if _HEADER.match(ln)]

    def rule_line(self, index: int) -> int:
        return self.headers[index] if index < len(self.headers) else 1

    def key_line(self, index: int, key: str) -> int:
        start = self.rule_line(index)
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        pat = re.compile(r'(^|[\s{,.\[])"?' + re.escape(key) + r'"?\s*(=|\])')
        for n in range(start, end):
            if pat.search(self.lines[n - 1]):
                return n
        return start


def _strings(value: Any, what: str, fail: Fail) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    fail(f"{what} must be a string or a non-empty list of strings, got {value!r}")
    raise AssertionError  # unreachable: fail raises


def _number(value: Any, what: str, fail: Fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(f"{what} must be a number, got {value!r}")
    return float(value)


class _RuleCompiler:
    def __init__(self, text: str, source: str, level: str, app: str | None, home: str,
                 known: frozenset[str]):
        self.loc = _Locator(text)
        self.source = source
        self.name = Path(source).name
        self.level = level
        self.app = app
        self.home = home
        self.known = known
        self.warnings: list[str] = []

    def fail(self, index: int, key: str | None, reason: str) -> NoReturn:
        line = self.loc.key_line(index, key) if key else self.loc.rule_line(index)
        raise RulesError(f"rule #{index + 1}: {reason}", file=self.source, line=line)

    def compile(self, index: int, raw: Any, order: int) -> Rule:
        if not isinstance(raw, dict):
            self.fail(index, None, "each [[rule]] must be a table")
        unknown = sorted(set(raw) - RULE_KEYS)
        if unknown:
            self.fail(index, unknown[0], f"unknown key {unknown[0]!r} "
                      f"(allowed: {', '.join(sorted(RULE_KEYS))})")

        def fail_at(key: str) -> Fail:
            def fail(reason: str) -> NoReturn:
                self.fail(index, key, reason)
            return fail

        effect = raw.get("effect")
        if effect not in EFFECTS:
            self.fail(index, "effect" if "effect" in raw else None,
                      f"effect must be one of allow, deny, ask; got {effect!r}")
        if "match" not in raw:
            self.fail(index, None, "missing 'match' (syscall names or globs, e.g. [\"fs.*\"])")
        names = _strings(raw["match"], "match", fail_at("match"))
        line = self.loc.rule_line(index)
        rule_id = raw.get("id", f"{self.name}:{line}")
        if not isinstance(rule_id, str) or not rule_id:
            self.fail(index, "id", "id must be a non-empty string")
        reason = raw.get("reason", "")
        if not isinstance(reason, str):
            self.fail(index, "reason", "reason must be a string")
        if not isinstance(raw.get("description", ""), str):
            self.fail(index, "description", "description must be a string")
        for n in names:
            if not any(fnmatch.fnmatchcase(k, n) for k in self.known):
                self.warnings.append(f"{self.source}:{line}: rule {rule_id!r}: match {n!r} "
                                     "matches no known syscall (typo?)")
        apps = _strings(raw["app"], "app", fail_at("app")) if "app" in raw else None
        if self.app is not None:  # an app-level file only ever speaks about its own app
            if apps is not None and not any(fnmatch.fnmatchcase(self.app, a) for a in apps):
                self.warnings.append(f"{self.source}:{line}: rule {rule_id!r} names other apps; "
                                     f"it only applies to {self.app!r}")
            apps = [self.app]
        users = _strings(raw["user"], "user", fail_at("user")) if "user" in raw else None
        restrictive = effect != "allow"
        conditions: list[Any] = []
        args = raw.get("args", {})
        if not isinstance(args, dict):
            self.fail(index, "args", "args must be a table of argument name = condition")
        for arg, spec in args.items():
            conditions.extend(self._arg(index, arg, spec, restrictive))
        if "budget" in raw:
            conditions.extend(self._budget(index, raw["budget"]))
        if "derived_from_untrusted" in raw:
            flag = raw["derived_from_untrusted"]
            if isinstance(flag, bool):
                conditions.append(UntrustedCondition(flag, None))
            else:
                conditions.append(UntrustedCondition(True, _strings(
                    flag, "derived_from_untrusted", fail_at("derived_from_untrusted"))))
        rate = None
        if "rate" in raw:
            if effect == "allow":
                self.fail(index, "rate", "rate only makes sense on deny or ask rules "
                          "(the rule applies once the rate is exceeded)")
            try:
                rate = parse_rate(raw["rate"])
            except ValueError as exc:
                self.fail(index, "rate", str(exc))
        return Rule(
            id=rule_id, effect=effect, reason=reason or f"rule {rule_id}",
            source=f"{self.source}:{line}", level=self.level, order=order, names=names,
            name_matchers=[name_glob(n) for n in names],
            apps=apps, app_matchers=[name_glob(a) for a in apps] if apps is not None else None,
            users=users,
            user_matchers=[name_glob(u) for u in users] if users is not None else None,
            conditions=conditions, rate=rate,
        )

    def _arg(self, index: int, arg: str, spec: Any, restrictive: bool) -> list[Any]:
        def fail(reason: str) -> NoReturn:
            self.fail(index, arg, f"args.{arg}: {reason}")
        if isinstance(spec, (str, list)):
            spec = {"glob": spec}
        if not isinstance(spec, dict) or not spec:
            fail("must be a path glob, a list of globs, or a table like "
                 "{ domain = [...] }, { regex = \"...\" }, { gt = 500 }")
        unknown = sorted(set(spec) - ARG_KEYS)
        if unknown:
            fail(f"unknown condition {unknown[0]!r} (allowed: {', '.join(sorted(ARG_KEYS))})")
        out: list[Any] = []
        try:
            if "glob" in spec:
                globs = _strings(spec["glob"], "glob", fail)
                rx = [path_glob_regex(normalise_pattern_path(g, self.home)) for g in globs]
                out.append(GlobCondition(arg, restrictive, rx, self.home))
            if "like" in spec:
                out.append(LikeCondition(arg, restrictive,
                                         [name_glob(p) for p in _strings(spec["like"], "like", fail)]))
            if "domain" in spec:
                pats = [DomainPattern(d) for d in _strings(spec["domain"], "domain", fail)]
                out.append(DomainCondition(arg, restrictive, pats))
            if "regex" in spec:
                if not isinstance(spec["regex"], str):
                    fail("regex must be a string")
                out.append(RegexCondition(arg, restrictive, SafeRegex(spec["regex"])))
        except PatternError as exc:
            fail(str(exc))
        if "in" in spec:
            values = spec["in"]
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, (str, int, float)) for v in values):
                fail("in must be a non-empty list of strings or numbers")
            out.append(InCondition(arg, restrictive, values))
        ops = [(op, _number(spec[op], f"{op}", fail)) for op in NUM_OPS if op in spec]
        if ops:
            out.append(NumberCondition(arg, restrictive, ops))
        return out

    def _budget(self, index: int, spec: Any) -> list[Any]:
        def fail(reason: str) -> NoReturn:
            self.fail(index, "budget", reason)
        out: list[Any] = []
        if isinstance(spec, (str, list)):
            for expr in _strings(spec, "budget", fail):
                m = _BUDGET_EXPR.match(expr)
                if not m:
                    fail(f"budget {expr!r} is not like 'tokens_left < 1000'")
                out.append(BudgetCondition(m.group(1), [(SYMBOL_OPS[m.group(2)], float(m.group(3)))]))
            return out
        if not isinstance(spec, dict) or not spec:
            fail("budget must be 'tokens_left < 1000', a list of those, or a table")
        for name, ops in spec.items():
            if not isinstance(ops, dict) or not ops or set(ops) - set(NUM_OPS):
                fail(f"budget.{name} must be a table of {', '.join(NUM_OPS)} = number")
            out.append(BudgetCondition(name, [(op, _number(v, op, fail)) for op, v in ops.items()]))
        return out


def parse_rules(text: str, *, source: str = "<rules>", level: str = "user",
                app: str | None = None, home: str = DEFAULT_HOME,
                known_syscalls: frozenset[str] = KNOWN_SYSCALLS, first_order: int = 0) -> RuleSet:
    """Compile rules from TOML text. Raises RulesError naming the source and line."""
    if level not in LEVELS:
        raise RulesError(f"level must be one of {LEVELS}, got {level!r}", file=source)
    if level == "app" and not app:
        raise RulesError("an app-level rules file needs the app's name", file=source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POS.search(str(exc))
        line = int(m.group(1)) if m else None
        raise RulesError(f"TOML syntax error: {exc}", file=source, line=line) from None
    loc = _Locator(text)
    for key in data:
        if key not in TOP_KEYS:
            n = next((i + 1 for i, ln in enumerate(loc.lines)
                      if re.match(r"\s*\[*\s*" + re.escape(key) + r"\b", ln)), 1)
            raise RulesError(f"unknown top-level key {key!r} (rules go in [[rule]] tables)",
                             file=source, line=n)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise RulesError("'rule' must be an array of tables: write [[rule]]", file=source,
                         line=loc.rule_line(0))
    compiler = _RuleCompiler(text, source, level, app if level == "app" else None, home,
                             known_syscalls)
    rules = [compiler.compile(i, r, first_order + i) for i, r in enumerate(raw_rules)]
    return RuleSet(source=source, level=level, rules=rules, warnings=compiler.warnings)


def load_rules_file(path: str | Path, *, level: str = "user", app: str | None = None,
                    home: str = DEFAULT_HOME, first_order: int = 0) -> RuleSet:
    """Read and compile one rules file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError("no such rules file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"cannot read rules file: {exc}", file=str(path)) from None
    return parse_rules(text, source=str(path), level=level, app=app, home=home,
                       first_order=first_order)


def default_rules_path() -> Path:
    """The shipped system rules (kernel/rules/defaults/system.toml)."""
    return Path(__file__).with_name("defaults") / "system.toml"
