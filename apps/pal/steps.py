"""pal's multi-line programs: a named line per statement of the question, then ``answer = ...`` from the names.

The question is split into statements (sentences; clauses joined by "and" or a comma when each side has
a number), and the program is written as a dialogue, a statement a turn: its line ``name = <expression>``
uses that statement's numbers (and the unit factors its words call for, units.py) each exactly once,
joined by + - * /.  Every admissible line is listed and scored with ``llm.score`` (the dialogue grows a
turn a call, so the scorer's kept prefix makes each call cheap).  The question sentence gets a named line
for its own numbers if it has any, then ``answer = ...`` uses every name once (measured: docs/eval.md).
"""
from __future__ import annotations

import builtins
import functools
import keyword
import re

from syscalls import Sys
from syscalls.errors import ENDING, SyscallError

from . import dims, search, units
from . import program as prog

SYSTEM = ("You turn a math word problem into a Python program, one statement at a time: for each statement "
          "you write one line that names its quantity and computes it from the statement's numbers, and for "
          "the question you write the line answer = ... from the names.")
# Worked examples: (problem, its lines in order).  None of them is an evaluation problem.
EXAMPLES = [
    ("Ben has 50 dollars. He buys 3 tickets for 7 dollars each. How much money does he have left?",
     ["money = 50", "tickets = 3 * 7", "answer = money - tickets"]),
    ("A pump moves 40 liters of water per minute. How many minutes does it need to fill a 600 liter pool?",
     ["rate = 40", "pool = 600\nanswer = pool / rate"]),
    ("A movie lasts 2 hours. How many minutes long is it?", ["hours = 2", "minutes = 60\nanswer = hours * minutes"]),
    ("Kim reads 15 pages a day for 4 days. The book has 100 pages. How many pages does she still have to read?",
     ["pages = 15 * 4", "book = 100", "answer = book - pages"]),
    ("A farmer has 3 pens with 9 sheep in each pen and 15 goats. How many animals does he have in all?",
     ["sheep = 3 * 9", "goats = 15", "answer = sheep + goats"]),
    ("A pack has 8 crayons. Nora buys 3 packs and gives 5 crayons to her brother. How many crayons does she have?",
     ["crayons = 8", "packs = 3", "given = 5", "answer = crayons * packs - given"]),
]
GENERIC = ["total", "cost", "price", "left", "given", "rate", "time", "start", "part", "count", "size"]
STOP = {"the", "and", "for", "with", "are", "was", "were", "has", "have", "had", "how", "many", "much", "what",
        "does", "did", "that", "this", "then", "its", "his", "her", "she", "they", "them", "there", "into", "from",
        "each", "per", "more", "all", "answer"}
MAX_ATOMS = 3  # atoms of a line, and numbered parts of a question, at most: 4 atoms have 1,536 orderings
CLAUSE = re.compile(r",\s*(?:and\s+)?(?:then\s+)?|\s+and\s+(?:then\s+)?")


def statements(question: str) -> tuple[list[tuple[str, list[str]]], tuple[str, list[str]]]:
    """([(statement, its numbers and unit factors)], (question sentence, its numbers and factors)).  A piece
    without numbers joins the next one; factors the question calls for that no piece's words call for go
    to the question sentence."""
    sentences = re.split(r"(?<=[.?!])\s+", question.strip())
    pieces = [p for s in sentences[:-1] for p in CLAUSE.split(s) if p] + [sentences[-1]]
    out: list[list] = []
    placed: set[str] = set()
    pending = ""
    for i, p in enumerate(pieces):
        text, nums = f"{pending} {p}".strip(), prog.NUM.findall(p) + units.factors(p)
        placed.update(units.factors(p))
        if nums or i == len(pieces) - 1:
            out.append([text, nums])
        pending = "" if nums or i == len(pieces) - 1 else text
    out[-1][1] += [f for f in units.factors(question) if f not in placed]
    return [(t, n) for t, n in out[:-1]], (out[-1][0], out[-1][1])


@functools.cache
def _examples() -> tuple[dict, ...]:
    """The system prompt and the worked examples as turns, a statement a turn (the same for every question)."""
    out = [{"role": "system", "content": SYSTEM}]
    for q, lines in EXAMPLES:
        stmts, (last, _) = statements(q)
        for text, line in zip([t for t, _ in stmts] + [last], lines):
            out += [{"role": "user", "content": text}, {"role": "assistant", "content": line}]
    return tuple(out)


def messages(turns: list[tuple[str, str]]) -> list[dict]:
    """The dialogue so far: the worked examples, then this question's (statement, line) turns."""
    out = list(_examples())
    for text, line in turns:
        out += [{"role": "user", "content": text}] + ([{"role": "assistant", "content": line}] if line else [])
    return out


def names(text: str, used: set[str]) -> list[str]:
    """The words a line may be named by: the statement's own, then common ones; none used before."""
    own = [w for w in re.findall(r"[a-z]+", text.lower())
           if len(w) >= 3 and w not in STOP and not keyword.iskeyword(w) and w not in vars(builtins)]  # not `print`, `sum`
    return [w for w in dict.fromkeys(own + GENERIC) if w not in used][:32]


def exprs(atoms: list[str], powers: bool) -> list[str]:
    """search.joins of at most ``MAX_ATOMS`` atoms: each once, any order, any operator."""
    return search.joins(atoms, powers) if 0 < len(atoms) <= MAX_ATOMS else []


def expand(line: str, env: dict[str, str]) -> str:
    """The expression with every name replaced by its own expression, in parentheses (for the calculator)."""
    return re.sub(r"[a-z_]+", lambda m: f"({env[m.group(0)]})" if m.group(0) in env else m.group(0), line)


def plausible(lines: list[str], env: dict[str, str]) -> dict[str, str]:
    """line -> its value, for the lines whose value is not negative and has at most two decimals."""
    vals = {line: search.value(expand(line.split(" = ", 1)[1], env)) for line in lines}
    return {line: search.answer_of(v) for line, v in vals.items() if search.plausible(v)}


async def named(sys: Sys, turns: list[tuple[str, str]], text: str, atoms: list[str], env: dict[str, str],
                pw: bool, known: dict[str, dims.Unit]) -> str | None:
    """``name = expression`` for the statement ``text``: the likeliest name, then the expression that the
    statement makes likeliest: its log-probability after the statement less that after an empty turn, so
    an order or operator the model favours whatever was said (it favours ``*``) does not win by that alone.
    None when no expression's value is plausible."""
    now = turns + [(text, "")]
    words = names(text, set(env))
    if len(words) > 1:
        res = await sys.llm.score(messages(now), [f"{w} =" for w in words])
        words = [words[max(range(len(words)), key=lambda i: res.logprobs[i])]]
    ok = list(plausible([f"{words[0]} = {e}" for e in dims.agreeing(exprs(atoms, pw), known)], {}))
    if len(ok) > 1:
        given = await search.scores(sys, messages(now), ok)
        prior = await search.scores(sys, messages(turns + [("", "")]), ok)
        ok = [ok[max(range(len(ok)), key=lambda i: given[i] - prior[i])]]
    if ok:
        env[words[0]] = ok[0].split(" = ", 1)[1]
        try:
            if (u := dims.unit_of(env[words[0]], known)) is not None:
                known[words[0]] = u
        except dims.Unknown:
            pass
    return ok[0] if ok else None


async def final(sys: Sys, question: str, env: dict[str, str], pw: bool, known: dict[str, dims.Unit]) -> str | None:
    """``answer = ...`` using every name once: the line whose expression, each name written as its value,
    pal's one-line prompt (its worked examples, the whole question) finds likeliest.  Measured on dev, the
    names themselves lead the model to multiply whatever two quantities it is given.  Only lines whose units
    are the ones the question asks for are weighed, when those can be told (dims.py)."""
    ok = plausible([f"answer = {e}" for e in dims.agreeing(exprs(list(env), pw), known, dims.asked(question) if known else None)], env)
    vals = {n: search.answer_of(v) for n, e in env.items() if (v := search.value(e)) is not None}
    by_value = {re.sub(r"[a-z_]+", lambda m: vals.get(m.group(0), m.group(0)), line.split(" = ", 1)[1]): line
                for line in reversed(ok)}  # the first line of each
    if len(by_value) <= 1:
        return next(iter(by_value.values()), None)
    cands = list(by_value)
    res = await search.scores(sys, prog.messages(question), [f'{{"expression": "{c}"}}' for c in cands])
    return by_value[cands[max(range(len(cands)), key=lambda i: res[i])]]


async def solve(sys: Sys, question: str, use_units: bool = True, use_dims: bool = True) -> tuple[str, str] | None:
    """(program, the answer's expression with every name expanded), or None when the question has fewer
    than two numbered statements (one line will do), more than three numbered parts, a part with more than
    three numbers, or scoring is not available."""
    stmts, (last, qnums) = statements(question)
    if not use_units:
        stmts = [(t, prog.NUM.findall(t)) for t, _ in stmts]
        qnums = prog.NUM.findall(last)
    pw = use_units and units.powers(question)
    if not 2 <= len(stmts) <= MAX_ATOMS - bool(qnums) or any(len(n) > MAX_ATOMS for _, n in stmts + [(last, qnums)]):
        return None
    env: dict[str, str] = {}
    known = dims.typed(question) if use_units and use_dims else {}  # each number's unit, then each name's
    turns: list[tuple[str, str]] = []
    try:
        for text, nums in stmts:
            if (line := await named(sys, turns, text, nums, env, pw, known)) is None:
                return None
            turns.append((text, line))
        qline = await named(sys, turns, last, qnums, env, pw, known) if qnums else ""
        last_line = await final(sys, question, env, pw, known) if qline is not None else None
    except SyscallError as exc:
        if exc.code in ENDING:
            raise
        return None
    if last_line is None:
        return None
    turns.append((last, f"{qline}\n{last_line}".strip()))
    code = "".join(f"# {t}\n{line}\n" for t, line in turns) + "print(answer)\n"
    return code, expand(last_line.split(" = ", 1)[1], env)
