"""pal's multi-line programs: one named line per statement of the question, then ``answer = ...`` from the names.

The question is split into statements (sentences, and clauses joined by "and" or a comma when each side
carries a number).  The program is written as a dialogue: each statement is a user turn, and the model's
reply is its line, ``name = <expression>``, where the expression uses that statement's numbers (and the
unit factors its words call for, units.py) each exactly once, joined by + - * /.  The name is a word of
the statement or a common one.  The question sentence is answered last: a named line for its own
numbers if it has any, then ``answer = ...`` using every name once.  Every step's admissible lines are
few enough to list, so each is chosen by ``llm.score`` over all of them (the likelihood of the lines
with the same value added, as in search.py) rather than decoded token by token; the dialogue grows by one
turn a call, so the scorer's kept prefix makes each call cheap.
"""
from __future__ import annotations

import itertools
import keyword
import math
import re

from syscalls import Sys
from syscalls.errors import SyscallError

from . import program as prog
from . import search, units

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
        text = f"{pending} {p}".strip() if pending else p
        nums = prog.NUM.findall(p) + units.factors(p)
        placed.update(units.factors(p))
        if nums or i == len(pieces) - 1:
            out.append([text, nums])
            pending = ""
        else:
            pending = text
    out[-1][1] += [f for f in units.factors(question) if f not in placed]
    return [(t, n) for t, n in out[:-1]], (out[-1][0], out[-1][1])


def messages(turns: list[tuple[str, str]]) -> list[dict]:
    """The dialogue so far: the worked examples, then this question's (statement, line) turns."""
    out = [{"role": "system", "content": SYSTEM}]
    for q, lines in EXAMPLES:
        stmts, (last, _) = statements(q)
        for text, line in zip([t for t, _ in stmts] + [last], lines):
            out += [{"role": "user", "content": text}, {"role": "assistant", "content": line}]
    for text, line in turns:
        out += [{"role": "user", "content": text}] + ([{"role": "assistant", "content": line}] if line else [])
    return out


def names(text: str, used: set[str]) -> list[str]:
    """The words a line may be named by: the statement's own, then common ones; none used before."""
    own = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= 3 and w not in STOP and not keyword.iskeyword(w)]
    return [w for w in dict.fromkeys(own + GENERIC) if w not in used][:32]


def exprs(atoms: list[str], powers: bool) -> list[str]:
    """Every expression using each atom (a number or a name) exactly once, in any order, joined by + - * /
    (and ``**`` when the question is about powers)."""
    if not atoms or len(atoms) > MAX_ATOMS:
        return []
    ops = ["+", "-", "*", "/"] + (["**"] if powers else [])
    return list(dict.fromkeys(" ".join(itertools.chain.from_iterable(zip(p, o + ("",)))).strip()
                              for p in itertools.permutations(atoms) for o in itertools.product(ops, repeat=len(atoms) - 1)))


def expand(line: str, env: dict[str, str]) -> str:
    """The expression with every name replaced by its own expression, in parentheses (for the calculator)."""
    return re.sub(r"[a-z_]+", lambda m: f"({env[m.group(0)]})" if m.group(0) in env else m.group(0), line)


async def pick(sys: Sys, turns: list[tuple[str, str]], prefix: str, lines: list[str], env: dict[str, str]) -> str | None:
    """The line of ``lines`` (each the reply ``prefix + line`` to the last turn) whose value the model finds
    likeliest over all the lines that compute it; None when no line's value is plausible."""
    ok: dict[str, str] = {}
    for line in lines:
        v = search.value(expand(line.split(" = ", 1)[1], env))
        if v is not None and v >= 0 and (v * 100).denominator == 1:
            ok[line] = search.answer_of(v)
    if len(ok) <= 1:
        return next(iter(ok), None)
    cands = list(ok)[:search.MAX_LINES]
    scores: list[float] = []
    for i in range(0, len(cands), search.BATCH):
        scores += (await sys.llm.score(messages(turns), [prefix + c for c in cands[i:i + search.BATCH]])).logprobs
    weight: dict[str, float] = {}
    top: dict[str, tuple[float, str]] = {}
    for line, lp in zip(cands, scores):
        a = ok[line]
        weight[a] = lp if a not in weight else max(weight[a], lp) + math.log1p(math.exp(-abs(weight[a] - lp)))
        if a not in top or lp > top[a][0]:
            top[a] = (lp, line)
    return top[max(weight, key=lambda a: weight[a])][1]


async def named(sys: Sys, turns: list[tuple[str, str]], text: str, atoms: list[str], env: dict[str, str],
                pw: bool) -> str | None:
    """``name = expression`` for the statement ``text``: the name, then the expression, chosen by score."""
    now = turns + [(text, "")]
    words = names(text, set(env))
    if len(words) > 1:
        res = await sys.llm.score(messages(now), [f"{w} =" for w in words])
        words = [words[max(range(len(words)), key=lambda i: res.logprobs[i])]]
    name = words[0]
    line = await pick(sys, now, "", [f"{name} = {e}" for e in exprs(atoms, pw)], {})
    if line is None:
        return None
    env[name] = line.split(" = ", 1)[1]
    return line


async def solve(sys: Sys, question: str, use_units: bool = True) -> tuple[str, str] | None:
    """(program, the answer's expression with every name expanded), or None when the question is not one
    this covers (fewer than two numbered parts, too many, or a part with too many numbers) or scoring is
    not available."""
    stmts, (last, qnums) = statements(question)
    if not use_units:
        stmts = [(t, prog.NUM.findall(t)) for t, _ in stmts]
        qnums = prog.NUM.findall(last)
    pw = use_units and units.powers(question)
    parts = len(stmts) + (1 if qnums else 0)
    if not 2 <= parts <= MAX_ATOMS or any(len(n) > MAX_ATOMS for _, n in stmts + [(last, qnums)]):
        return None
    env: dict[str, str] = {}
    turns: list[tuple[str, str]] = []
    try:
        for text, nums in stmts:
            line = await named(sys, turns, text, nums, env, pw)
            if line is None:
                return None
            turns.append((text, line))
        prefix = ""
        if qnums:
            qline = await named(sys, turns, last, qnums, env, pw)
            if qline is None:
                return None
            prefix = qline + "\n"
        finals = [f"answer = {e}" for e in exprs(list(env), pw)]
        final = await pick(sys, turns + [(last, "")], prefix, finals, env)
    except SyscallError as exc:
        if exc.code in ("budget", "killed", "terminated"):
            raise
        return None
    if final is None:
        return None
    turns.append((last, prefix + final))
    code = "".join(f"# {t}\n{line}\n" for t, line in turns) + "print(answer)\n"
    return code, expand(final.split(" = ", 1)[1], env)
