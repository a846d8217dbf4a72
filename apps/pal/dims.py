"""Dimensional analysis for pal's lines: each number of the question gets a unit from the words beside it,
the question asks for a unit, and a line is kept only when its units work out to the one asked for.

"Ella types 45 words per minute. How many words does she type in 20 minutes?" gives 45 a unit of
1/minute and 20 one of minute, and asks for a count: ``45 * 20`` is kept, ``45 / 20`` (1/minute²)
and ``45 + 20`` (a count plus a time) are not.  Only measures carry units (time, length, weight,
volume, money, percent); things counted (words, pages, pumps) are plain numbers, so a question with no
measure is not one this covers.  A unit fact from units.py carries its own unit: the 60 that hours
and minutes call for is 60 minutes per hour, so it converts one way only.  The model still chooses
among the lines that are left (search.best); this only removes the ones that cannot be right.
"""
from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Mapping
from fractions import Fraction

from . import program as prog
from . import search, units

Unit = tuple[tuple[str, int], ...]  # (base unit, exponent), sorted; () is a plain number
NONE: Unit = ()
# word -> the unit it names (plurals are found by stripping an "s")
MEASURES = {
    **{w: w for w in ("second", "minute", "hour", "day", "week", "month", "year", "centimeter", "meter",
                      "kilometer", "mile", "gram", "kilogram", "liter", "milliliter", "dollar", "cent", "euro", "sterling", "pound", "ounce", "foot", "inch",
                      "percent")},
    "metre": "meter", "centimetre": "centimeter", "kilometre": "kilometer", "litre": "liter",
    "millilitre": "milliliter", "kilo": "kilogram", "feet": "foot", "inches": "inch", "%": "percent", "hourly": "hour", "daily": "day",
    "weekly": "week", "pm": "clock", "am": "clock",
}
PER = {"per", "a", "an", "every", "each"}
POWER = {"square": 2, "cubic": 3}
WORD = re.compile(r"\d+(?:\.\d+)?|[a-z]+|%|[.,;:?!]|/|(?<!\S)[-–](?!\S)")  # a dash between spaces ends a phrase
CURRENCY = re.compile(r"([$€£])\s*(\d+(?:\.\d+)?)")
SIGNS = {"$": "dollars", "€": "euros", "£": "sterling"}  # a pound of money is not a pound of weight


# a bare number after these words is money: "a bag costs 8.75", "I got paid 612"
PRICED = re.compile(r"\b(costs?|cost|paid|pay|priced at|came to|comes to|earns?|earned|spent|spend|charges?|charged)(\s+)(\d+(?:\.\d+)?)\b(?!\s*(?:%|[a-z]))")


def spoken(question: str) -> str:
    """The question with a currency sign read as its word after the number ("$65" is "65 dollars"), and a bare
    number that a price or a payment names read as dollars ("costs 8.75" is "costs 8.75 dollars")."""
    text = CURRENCY.sub(lambda m: f"{m.group(2)} {SIGNS[m.group(1)]}", question)
    if not re.search(r"\b(?:dollars?|euros?|sterling|cents?)\b", text):
        text = PRICED.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)} dollars", text)
    return text


def measure(word: str) -> str | None:
    return MEASURES.get(word) or (MEASURES.get(word[:-1]) if word.endswith("s") else None)


def unit(num: dict[str, int]) -> Unit:
    return tuple(sorted((k, v) for k, v in num.items() if v))


def _after(tokens: list[str], i: int) -> Unit:
    """The unit of the number at ``tokens[i]``: a measure among the words after it (before the next number
    or stop), over a measure that follows ``per``/``a``/``every``.  ``1/2 of an hour`` gives 1 the hour."""
    if tokens[i + 1:i + 3] and tokens[i + 1] == "/" and prog.NUM.fullmatch(tokens[i + 2]):
        rest = [t for t in tokens[i + 3:i + 6] if t not in ("of", "a", "an")]
        m = measure(rest[0]) if rest else None
        return unit({m: 1}) if m else NONE
    top: dict[str, int] = {}
    j, per, power = i + 1, False, 1
    while j < len(tokens) and j <= i + 6 and not prog.NUM.fullmatch(tokens[j]) and tokens[j] not in ".,;:?!/-–":
        w = tokens[j]
        if w in PER:
            per = True
        elif w in POWER:
            power = POWER[w]
        elif (m := measure(w)) is not None:
            if top and not per:
                break  # a second measure with no "per" is another phrase's ("38 hours this week")
            top[m] = top.get(m, 0) + (-1 if per else 1) * power
            if per:
                break
            power = 1
        elif per:
            break  # "3 dollars each and a hat": "a" before a thing counted is no rate
        j += 1
    return unit(top)


def quantities(question: str) -> list[Unit]:
    """The unit of each number of the question, in order (search.atoms' order)."""
    tokens = WORD.findall(spoken(question).lower())
    return [NONE if tokens[i - 1:i] == ["/"] else _after(tokens, i)  # 2 in 1/2 is a plain number
            for i, t in enumerate(tokens) if prog.NUM.fullmatch(t)]


def factor_units(question: str) -> list[Unit]:
    """The unit of each fact units.factors gives: two words make small per big (60 minutes per hour),
    percent is a percent, the rest (squared, doubles) are plain numbers."""
    w = units.words(question)
    out: dict[str, Unit] = {}
    for factor, groups in units.FACTS:
        if factor in out or not all(any(x in w for x in g) for g in groups):
            continue
        ms = [measure(g[0]) for g in groups]
        if len(ms) == 2 and ms[0] and ms[1]:
            out[factor] = unit({ms[1]: 1, ms[0]: -1})
        else:
            out[factor] = unit({"percent": 1}) if ms[0] == "percent" else NONE
    return list(out.values())


def asked(question: str) -> Unit | None:
    """The unit the question sentence asks for; None when it cannot be told."""
    question = spoken(question)
    last = re.split(r"(?<=[.?!])\s+", question.strip().lower())[-1]
    if re.search(r"\bwhat (?:percent|percentage)\b|\bby what percent", last):
        return unit({"percent": 1})
    if m := re.search(r"\bin ((?:square |cubic )?[a-z]+)(?: per ([a-z]+))?\s*[?.!]?$", last):
        top = _after(["0", *WORD.findall(m.group(0)[3:])], 0)
        if top:
            return top
    if m := re.search(r"\bhow many (?:more |fewer )?((?:square |cubic )?[a-z]+)(?: per ([a-z]+))?", last):
        return _after(["0", *WORD.findall(m.group(0)[9:])], 0)
    named = {measure(t) for t in WORD.findall(question.lower())}
    money = next((m for m in ("dollar", "euro", "sterling") if m in named), None)
    if money and (m := re.search(r"\b(?:per|a|an|each)\s+([a-z]+)\s*[?.!]?$|\b(hourly|daily|weekly) (?:rate|wage|pay)\b", last)):
        per = measure(m.group(1) or m.group(2) or "")
        if per and per != money:  # "what's the price per kilo", "what's my hourly rate"
            return unit({money: 1, per: -1})
    if re.search(r"\bhow much\b", last) and money:
        return unit({money: 1})
    return None


class Unknown(LookupError):
    """A term whose unit is not known."""


def _unit_of(node: ast.AST, env: Mapping[str, Unit], vals: Mapping[str, Fraction]) -> Unit | None:
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise Unknown(node.id)
        return env[node.id]
    if not isinstance(node, ast.BinOp):
        return None
    a, b = _unit_of(node.left, env, vals), _unit_of(node.right, env, vals)
    if a is None or b is None:
        return None
    if isinstance(node.op, (ast.Add, ast.Sub)):
        return a if a == b else None
    if isinstance(node.op, (ast.Mult, ast.Div)):
        s = -1 if isinstance(node.op, ast.Div) else 1
        c: Counter[str] = Counter(dict(a))
        for k, v in b:
            c[k] += s * v
        return unit(dict(c))
    if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Name):
        if a == NONE or (len(a) == 1 and a[0][1] == -1 and b == ((a[0][0], 1),)):
            return NONE  # a plain number to any power; 2 times every day, for 4 days
        if b != NONE:
            return None
        if (n := vals.get(node.right.id)) is None:
            raise Unknown(node.right.id)
        return unit({k: v * int(n) for k, v in a}) if b == NONE and n.denominator == 1 else None
    return None


def typed(question: str) -> dict[str, Unit]:
    """Each number and unit fact of the question by its text -> its unit, leaving out a text that
    has two units (7 weeks, and the 7 days a week)."""
    nums, kinds = prog.NUM.findall(question), quantities(question)
    if len(nums) != len(kinds):
        return {}  # the words were read apart from the numbers: no unit is trusted
    pairs = list(zip(nums, kinds)) + list(zip(units.factors(question), factor_units(question)))
    out = {t: u for t, u in pairs}
    return {t: u for t, u in out.items() if all(u == v for s, v in pairs if s == t)}


def unit_of(expr: str, known: Mapping[str, Unit]) -> Unit | None:
    """The unit of an expression over numbers and names that ``known`` gives units for; None when its
    units do not agree (a count plus a time).  Raises Unknown for a term ``known`` lacks."""
    terms: dict[str, str] = {}

    def term(m: re.Match[str]) -> str:
        terms[f"t{len(terms)}"] = m.group(0)
        return f"t{len(terms) - 1}"
    tree = ast.parse(re.sub(r"\d+(?:\.\d+)?|[A-Za-z_]\w*", term, expr), mode="eval").body
    env = {k: known[v] for k, v in terms.items() if v in known}
    vals = {k: Fraction(v) for k, v in terms.items() if prog.NUM.fullmatch(v)}
    return _unit_of(tree, env, vals)


def agreeing(exprs: list[str], known: Mapping[str, Unit], want: Unit | None = None) -> list[str]:
    """The expressions whose units agree (and are ``want``, when given); one whose unit cannot be told
    is kept.  All of them when none would be."""
    def fits(e: str) -> bool:
        try:
            u = unit_of(e, known)
        except Unknown:
            return True
        return u is not None and (want is None or u == want)
    return [e for e in exprs if fits(e)] or exprs


def lines(question: str) -> list[str] | None:
    """search.lines, less those whose units are not the ones asked for; None when the analysis does not
    apply (no measure among the numbers, the unit asked for unknown, or a clock time)."""
    atoms = search.atoms(question, True)
    kinds = quantities(question) + factor_units(question)
    want = asked(question)
    if want is None or len(atoms) != len(kinds) or not any(kinds) or any(k and k[0][0] == "clock" for k in kinds):
        return None
    if len(atoms) not in prog.EACH_ONCE:
        return None
    names = [f"q{i}" for i in range(len(atoms))]
    env, vals = dict(zip(names, kinds)), {n: Fraction(a) for n, a in zip(names, atoms)}
    keep: list[str] = []
    for shape in search.joins(names, units.powers(question)):
        if _unit_of(ast.parse(shape, mode="eval").body, env, vals) == want:
            keep.append(re.sub(r"q\d+", lambda m: atoms[int(m.group(0)[1:])], shape))
    return list(dict.fromkeys(keep))

