"""pal: program-aided math.  The model writes a program, the sandbox runs it, the answer is its output.

The task is the word problem, or JSON ``{"question": ..., "samples": n}`` (default 5): the program
is sampled n times (the first greedy, then each with its own seed) and the answers vote
(self-consistency).  Without
a sandbox (no ``python`` tool) the same program line is computed by the calculator tool.

With ``"search": true`` in the JSON form, a question with two to four numbers is answered by
search.py before sampling: every line the schema admits, scored by the model, the answer with the
most likelihood over all its lines wins.  It is off by default: on the held-out half it solved
the same 12 of 30 as sampling at 4-5 times the cost (docs/eval.md).  A question with two or three
statements that carry numbers is first written as a program of named lines, one a statement
(steps.py); a question it does not cover is sampled as usual.  Before both, a question whose numbers
carry units (time, length, weight, volume, money, percent) and that says which unit it asks for is
answered by search over only the lines whose units work out to that one (dims.py); steps keep to the
same rule.  Four mechanisms can be turned off, to measure them: ``"dims": false`` (held-out: 13/30
without, 19/30 with; docs/eval.md), ``"steps": false`` (10/30 without, 13/30 with), ``"units": false``
(no unit facts from units.py) and ``"rank": false`` (no ranking of untied samples by ``llm.score``).
"""
from __future__ import annotations

import json

from syscalls import Sys
from syscalls.errors import ENDING, SyscallError, Unavailable
from syscalls.pytool import available, run_python
from syscalls.reason import self_consistency

from . import dims, search, steps
from . import program as prog

SAMPLES = 5  # measured best on the 135M model (docs/apps.md); 1 is greedy alone


class Options:
    def __init__(self, question: str, samples: int = SAMPLES, units: bool = True, rank: bool = True,
                 search: bool = False, steps: bool = True, dims: bool = True):
        self.question, self.samples, self.units, self.rank, self.search = question, samples, units, rank, search
        self.steps, self.dims = steps, dims


def options(task: str) -> Options:
    try:
        data = json.loads(task)
    except ValueError:
        return Options(task)
    if isinstance(data, dict) and isinstance(data.get("question"), str):
        return Options(data["question"], max(1, min(15, int(data.get("samples", SAMPLES)))),
                       data.get("units", True) is not False, data.get("rank", True) is not False,
                       data.get("search", False) is True, data.get("steps", True) is not False,
                       data.get("dims", True) is not False)
    return Options(task)


async def ranked(sys: Sys, question: str, exprs: dict[str, str]) -> str | None:
    """The answer whose program the model itself finds most likely (mean log-probability per token),
    used when the samples agree on nothing; None when scoring is not available."""
    answers = list(exprs)
    cands = [f'{{"expression": "{exprs[a]}"}}' for a in answers]
    try:
        res = await sys.llm.score(prog.messages(question), cands)
    except SyscallError as exc:
        if exc.code in ENDING:
            raise
        return None
    best = max(range(len(answers)), key=lambda i: res.logprobs[i] / max(1, res.tokens[i]))
    return answers[best]


async def execute(sys: Sys, code: str, expression: str, sandbox: bool) -> tuple[str | None, str]:
    """(answer, how): run the program in the sandbox, or compute its line with the calculator."""
    if sandbox:
        try:
            run = await run_python(sys, code, timeout=20)
            return (prog.number(run.stdout) if run.ok else None), "sandbox"
        except Unavailable:
            pass
    res = await sys.tool.call("calculator", expression=expression)
    return (None if res.is_error else prog.number(res.output)), "calculator"


async def computed(sys: Sys, code: str, expression: str, sandbox: bool) -> str | None:
    """The answer of a chosen program, which is then kept; None when it computes none."""
    answer, _how = await execute(sys, code, expression, sandbox)
    if answer is not None:
        await keep(sys, code)
    return answer


async def _replay(answers: list[str | None], i: int) -> str | None:
    return answers[i]


async def keep(sys: Sys, code: str) -> None:
    try:
        await sys.fs.write("program.py", code)
    except SyscallError:
        pass  # the program is kept for the person when the app may write it


async def run(sys: Sys, task: str) -> str:
    opt = options(task)
    n = opt.samples
    question = prog.normalize(opt.question)
    sandbox = await available(sys)
    found = await search.best(sys, question, opt.units) if opt.search else None
    if found is None and opt.dims and opt.units and (kept := dims.lines(question)):
        found = await search.best(sys, question, only=kept)  # only the lines whose units are the ones asked
    if found is not None:  # the likeliest answer over every line; the sandbox still computes it
        if (answer := await computed(sys, prog.program(question, found[1]), found[1], sandbox)) is not None:
            return answer
    written = await steps.solve(sys, question, opt.units, opt.dims) if opt.steps else None
    if written is not None:  # a line per statement; the calculator computes the answer with the names expanded
        if (answer := await computed(sys, *written, sandbox)) is not None:
            return answer
    programs: dict[str | None, str] = {}  # answer -> the program that gave it
    exprs: dict[str, str] = {}  # answer -> the expression that gave it

    async def sample(i: int) -> str | None:
        reply = await sys.llm.json(prog.messages(question), prog.schema(question, use_units=opt.units), max_tokens=48,
                                   temperature=0.0 if i == 0 else 0.7, seed=i)  # the greedy one votes first
        expression = reply.value.get("expression", "") if isinstance(reply.value, dict) else ""
        if not expression:
            return None
        code = prog.program(question, expression)
        answer, _how = await execute(sys, code, expression, sandbox)
        programs.setdefault(answer, code)
        if answer is not None:
            exprs.setdefault(answer, expression)
        return answer

    answers: list[str | None] = []

    async def remember(i: int) -> str | None:
        answers.append(await sample(i))
        return answers[-1]
    vote = await self_consistency(remember, n, accept=prog.plausible)
    if vote.winner is None and any(answers):  # nothing plausible: the plain majority
        vote = await self_consistency(lambda i: _replay(answers, i), len(answers))
    if opt.rank and vote.winner is not None and vote.count == 1 and len(exprs) > 1:  # no two samples agree
        pool = {a: e for a, e in exprs.items() if prog.plausible(a)} or exprs
        vote.winner = await ranked(sys, question, pool) if len(pool) > 1 else vote.winner
    if programs:
        await keep(sys, programs.get(vote.winner) or next(iter(programs.values())))
    if vote.winner is None:
        raise SyscallError(f"no program produced an answer ({vote.samples} tried)", code="no_answer")
    return vote.winner
