"""The rules engine: decide one call, check a whole plan, explain a decision; fails closed."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from kernel.rules.errors import RulesError
from kernel.rules.model import EFFECTS, Call, Decision, Explanation, PlanItem, PlanStep, PlanVerdict
from kernel.rules.parse import DEFAULT_HOME, RuleSet, default_rules_path, load_rules_file
from kernel.rules.ratelimit import RateWindows
from kernel.rules.rule import Rule

CACHE_LIMIT = 4096
Source = RuleSet | str | Path | tuple[Any, ...]


class _Candidates:
    """Rules that cover one (syscall, app, user), deny first, then ask, then allow."""

    __slots__ = ("rated", "rules")

    def __init__(self, rules: list[Rule]):
        self.rules = sorted(rules, key=lambda r: (-r.precedence, r.order))
        self.rated = [r for r in self.rules if r.rate is not None]


def engine_error(exc: BaseException) -> Decision:
    return Decision(effect="deny", rule_id=None,
                    reason=f"rules engine error: {type(exc).__name__}: {exc}")


class RulesEngine:
    """Evaluates calls against system, user and app rules. Deny > ask > allow."""

    def __init__(self, sources: Iterable[Source] = (), *, default: str = "allow",
                 home: str = DEFAULT_HOME):
        if default not in EFFECTS:
            raise RulesError(f"default effect must be one of {EFFECTS}, got {default!r}")
        self.default = default
        self.home = home
        self.rule_sets: list[RuleSet] = []
        self.rules: list[Rule] = []
        self._windows = RateWindows()
        self._cache: dict[tuple[str, str, str], _Candidates] = {}
        for source in sources:
            self.add(source)

    @classmethod
    def with_defaults(cls, *more: Source, **kwargs: Any) -> RulesEngine:
        """The shipped system rules first, then the given sources (user, then app files)."""
        return cls([(default_rules_path(), "system"), *more], **kwargs)

    # ---- loading -------------------------------------------------------------------
    def add(self, source: Source) -> RuleSet:
        """Add a RuleSet, a path (user level), or (path, level[, app]). Order matters only
        for which rule of equal effect is reported; deny still wins over everything."""
        if isinstance(source, RuleSet):
            rule_set = source
        elif isinstance(source, (str, Path)):
            rule_set = load_rules_file(source, level="user", home=self.home,
                                       first_order=len(self.rules))
        elif isinstance(source, tuple) and 2 <= len(source) <= 3:
            rule_set = load_rules_file(source[0], level=source[1],
                                       app=source[2] if len(source) == 3 else None,
                                       home=self.home, first_order=len(self.rules))
        else:
            raise RulesError(f"cannot load rules from {source!r}")
        ids = {r.id for r in self.rules}
        for rule in rule_set.rules:
            if rule.id in ids:
                rule_set.warnings.append(f"{rule.source}: duplicate rule id {rule.id!r}")
            rule.order = len(self.rules)
            self.rules.append(rule)
        self.rule_sets.append(rule_set)
        self._cache.clear()
        return rule_set

    @property
    def warnings(self) -> list[str]:
        return [w for rs in self.rule_sets for w in rs.warnings]

    # ---- evaluation ----------------------------------------------------------------
    def _candidates(self, call: Call) -> _Candidates:
        name, app, user = call.name, call.app, call.user
        if not (isinstance(name, str) and isinstance(app, str) and isinstance(user, str)):
            raise TypeError("call name, app and user must be strings")
        if not isinstance(call.args, dict):
            raise TypeError(f"call args must be a dict, got {type(call.args).__name__}")
        key = (name, app, user)
        cands = self._cache.get(key)
        if cands is None:
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            cands = self._cache[key] = _Candidates(
                [r for r in self.rules if r.covers(name, app, user)])
        return cands

    def _evaluate(self, call: Call, *, full: bool, record: bool,
                  extra: dict[tuple[str, str], int] | None = None) -> tuple[Decision, list[tuple[Rule, list[str]]]]:
        cands = self._candidates(call)
        winner: Rule | None = None
        matched: list[tuple[Rule, list[str]]] = []
        admitted: list[Rule] = []
        seen: set[str] = set()
        memo: dict[Any, Any] = {}
        for rule in cands.rules:
            seen.add(rule.id)
            holds, notes = rule.conditions_hold(call, memo)
            if not holds:
                continue
            if rule.rate is not None:
                n = extra.get((call.app, rule.id), 0) if extra else 0
                if not rule.rate_exceeded(call, self._windows, n):
                    admitted.append(rule)
                    continue
                limit, span = rule.rate
                notes = [*notes, f"rate {limit}/{span:g}s exceeded for app {call.app!r}"]
            matched.append((rule, notes))
            if winner is None:
                winner = rule
                if not full:  # sorted deny > ask > allow: the first match decides
                    break
        if winner is None:
            # effects are strings checked against EFFECTS when the rules are parsed and loaded; hence the ignores
            decision = Decision(effect=self.default,  # type: ignore[arg-type]
                                reason=f"no rule matched; default {self.default}")
        else:
            decision = Decision(effect=winner.effect,  # type: ignore[arg-type]  # as above
                                rule_id=winner.id, reason=winner.reason,
                                matched=[r.id for r, _ in matched])
        if decision.effect != "deny" and (record or extra is not None):
            # Rated rules not reached because the decision came early still count the call.
            for rule in cands.rated:
                if rule.id not in seen and rule.conditions_hold(call, memo)[0] and \
                        not rule.rate_exceeded(call, self._windows):
                    admitted.append(rule)
            for rule in admitted:
                if record:
                    self._windows.record((call.app, rule.id), float(call.now))
                elif extra is not None:
                    extra[(call.app, rule.id)] = extra.get((call.app, rule.id), 0) + 1
        return decision, matched

    def decide(self, call: Call) -> Decision:
        """allow / deny / ask for one call. Never raises: an error denies, with the reason."""
        try:
            return self._evaluate(call, full=False, record=True)[0]
        except Exception as exc:  # noqa: BLE001 - fail closed
            return engine_error(exc)

    def explain(self, call: Call) -> Explanation:
        """Every rule that matched (without counting the call against rates), and the winner."""
        try:
            decision, matched = self._evaluate(call, full=True, record=False)
        except Exception as exc:  # noqa: BLE001 - fail closed, never raise into the kernel
            return Explanation(decision=engine_error(exc))
        return Explanation(decision=decision, matched=[
            {**r.describe(), "notes": notes, "decided": r.id == decision.rule_id}
            for r, notes in matched])

    def check_plan(self, plan: Sequence[PlanItem | Call], *, app: str = "", pid: int = 0,
                   user: str = "", budgets_left: dict[str, float] | None = None,
                   now: float | None = None) -> PlanVerdict:
        """Decide every step up front (rates see the plan's own earlier steps), so an agent
        can replan instead of failing halfway. `ask` steps are reported, not violations."""
        now = time.time() if now is None else now
        extra: dict[tuple[str, str], int] = {}
        verdict = PlanVerdict(ok=True)
        for index, item in enumerate(plan):
            try:
                call = item if isinstance(item, Call) else Call(
                    name=item.name, args=item.args, app=app, pid=pid, user=user,
                    untrusted_args=list(item.untrusted_args),
                    budgets_left=dict(budgets_left or {}), now=now)
                decision = self._evaluate(call, full=False, record=False, extra=extra)[0]
            except Exception as exc:  # noqa: BLE001 - fail closed, never raise into the kernel
                call = item if isinstance(item, Call) else Call(name=str(item.name))
                decision = engine_error(exc)
            verdict.decisions.append(decision)
            if decision.effect == "deny":
                verdict.ok = False
                verdict.violations.append(PlanStep(index, call, decision))
            elif decision.effect == "ask":
                verdict.needs_approval.append(PlanStep(index, call, decision))
        return verdict
