"""Search over pal's programs: every line the schema admits for a short question, ranked by the model's own
likelihood, with the likelihoods of the lines that give the same answer added together.

For a question with two to four numbers (the unit table's factors counted), the lines pal may write
are few enough to list: each number once, in any order, joined by ``+ - * /`` (and ``**`` for powers).
Sampling reaches only some of them, and decodes the first number before it can weigh the rest. Here each
line whose answer is plausible (not negative, at most two decimals: 2500 grams is 2.5 kilograms) is scored as the reply to the same
worked-example prompt, in batches of ``llm.score``, and an answer's weight is the sum of the
probabilities of the lines that compute it: the answer the model believes in, over every way it could
be written.  It is self-consistency computed exactly instead of estimated from a few samples.
"""
from __future__ import annotations

import ast
import itertools
import math
import operator
from fractions import Fraction
from typing import TypeGuard

from syscalls import Sys
from syscalls.errors import ENDING, SyscallError

from . import program as prog
from . import units

BATCH = 32  # candidates one llm.score call takes
MAX_LINES = 160  # plausible lines scored at most (5 calls); a question with more is left to sampling
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def atoms(question: str, use_units: bool) -> list[str]:
    """The numbers a line may use: the question's, then the unit factors it calls for (even one equal
    to a number of the question: "7 weeks" in days is 7 * 7)."""
    return prog.NUM.findall(question) + (units.factors(question) if use_units else [])


def joins(atoms: list[str], powers: bool) -> list[str]:
    """Every expression using each atom (a number or a name) exactly once, in any order, joined by
    ``+ - * /`` (and ``**`` with ``powers``); each once."""
    ops = ["+", "-", "*", "/"] + (["**"] if powers else [])
    return list(dict.fromkeys(" ".join(itertools.chain.from_iterable(zip(p, o + ("",)))).strip()
                              for p in itertools.permutations(atoms)
                              for o in itertools.product(ops, repeat=len(atoms) - 1)))


def lines(question: str, use_units: bool = True) -> list[str]:
    """Every line using each atom once, in any order, with any operators between them."""
    nums = atoms(question, use_units)
    if len(nums) not in prog.EACH_ONCE:
        return []
    return joins(nums, use_units and units.powers(question))


def value(line: str) -> Fraction | None:
    """The line's exact value (Python's precedence), or None when it does not compute."""
    def ev(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return Fraction(str(node.value))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, exp = ev(node.left), ev(node.right)
            if exp.denominator != 1 or not 0 <= exp <= 64 or abs(base) > 10**6:
                raise ValueError("power out of range")
            return Fraction(base) ** int(exp)
        if isinstance(node, ast.BinOp) and type(node.op) in OPS:
            return OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError("not arithmetic")
    try:
        return ev(ast.parse(line, mode="eval").body)
    except (ValueError, ZeroDivisionError, SyntaxError, OverflowError):
        return None


def plausible(v: Fraction | None) -> TypeGuard[Fraction]:
    """A value a grade-school answer may have: it computes, is not negative, and has at most two decimals
    (2500 grams is 2.5 kilograms)."""
    return v is not None and v >= 0 and (v * 100).denominator == 1


async def scores(sys: Sys, msgs: list[dict], cands: list[str]) -> list[float]:
    """``llm.score`` of every candidate after ``msgs``, ``BATCH`` a call."""
    return [lp for i in range(0, len(cands), BATCH) for lp in (await sys.llm.score(msgs, cands[i:i + BATCH])).logprobs]


def answer_of(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else prog.number(f"{float(v)}") or ""


async def best(sys: Sys, question: str, use_units: bool = True,
               only: list[str] | None = None) -> tuple[str, str] | None:
    """(answer, its likeliest line), or None when the question is not one this search covers or scoring
    is not available.  ``only``: the lines to weigh instead of every line (dims.lines)."""
    answers: dict[str, str] = {}  # line -> answer
    for line in lines(question, use_units) if only is None else only:
        if plausible(v := value(line)):
            answers[line] = answer_of(v)
    if not answers or len(answers) > MAX_LINES:
        return None
    cands = list(answers)
    try:
        lps = await scores(sys, prog.messages(question), [f'{{"expression": "{c}"}}' for c in cands])
    except SyscallError as exc:
        if exc.code in ENDING:
            raise
        return None
    weight: dict[str, float] = {}
    top: dict[str, tuple[float, str]] = {}
    for line, lp in zip(cands, lps):
        a = answers[line]
        weight[a] = lp if a not in weight else max(weight[a], lp) + math.log1p(math.exp(-abs(weight[a] - lp)))
        if a not in top or lp > top[a][0]:
            top[a] = (lp, line)
    winner = max(weight, key=lambda a: weight[a])
    return winner, top[winner][1]
