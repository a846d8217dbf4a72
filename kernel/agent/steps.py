"""Step guards for the agent loop: a reply cut off at the length limit is asked again under a tighter
schema, a text that loops is cut where it came back, a task that asks for arithmetic starts with the
calculator, and its answer is one of the calculator's results."""
from __future__ import annotations

import copy
import re
from typing import Any

from kernel.agent.stories import NUM
from kernel.agent.sums import NOT_SUMS, expressions
from syscalls.errors import SyscallError

TIGHT_CHARS = 120  # every string of the action at most this long on the second try
ANSWER_CHARS = 80  # the answer-only schema of the last try
CUT_NOTE = "That reply was cut off at the length limit. Reply again with a shorter JSON object."
# an arithmetic question: two numbers joined by an operator sign or word, or a power/root/percent of a number
_OP = r"(?:[-+*/x×÷^−]|plus|minus|times|multiplied by|divided by|percent of|% of)"
ARITH = re.compile(rf"\d[\d,.]*\s*{_OP}\s*\(?\s*\d|\b(?:squared|cubed|square root of|power of|to the power)\b"
                   r"|\b(?:add|sum|total|subtract|multiply|divide|average|product|quotient|difference)\b(?:\W+\w+){0,4}?\W+\d", re.IGNORECASE)
HOW_MUCH = re.compile(r"\b(?:total|altogether|in all|combined|how (?:much|many))\b", re.IGNORECASE)  # asks for a sum
RESULT = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")  # a calculator output that is a number
EXPRESSION = r"^[0-9 .+*/()^%-]{1,60}$"  # what the forced first calculator call may write
SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n+|$)")  # a sentence with its end mark


def unrepeat(text: str) -> str:
    """``text`` up to the first sentence of two or more words that it already said (whatever follows it
    goes too), then up to the first clause that states its subject again (``unrestate``); unchanged when
    neither comes back.  A small model that starts to loop under greedy decoding writes the same sentence
    until the length limit ("I'm a Falcon. I'm a Falcon. I'm a Fal")."""
    seen: set[str] = set()
    for m in SENTENCE.finditer(text):
        key = " ".join(m.group(0).lower().split()).rstrip(".!?")
        if key.count(" ") >= 1 and key in seen:
            return unrestate(text[:m.start()].rstrip())
        seen.add(key)
    return unrestate(unloop(text))


LOOP = re.compile(r"(\w.{3,79}?)(?:\W*\1){2,}", re.IGNORECASE | re.DOTALL)  # a phrase said three times in a row
LOOP_SCAN = 600  # characters searched for one (the search is quadratic in them)


def unloop(text: str) -> str:
    """``text`` up to the second of three or more times it says the same phrase of words in a row, with no
    sentence end between them ("19 to the third power: 19 to the third power: 19 to the"); unchanged without one."""
    for m in LOOP.finditer(text[:LOOP_SCAN]):
        phrase = m.group(1).strip()
        if " " in phrase and re.search(r"[^\W\d_]", phrase):  # words, not digits ("1111 1111 1111" is a number)
            return text[:m.start() + len(m.group(1))].rstrip(" ,;:")
    return text


# the opening of a statement: two to six words, then a copula ("A week is", "The first letter is")
OPENING = re.compile(r"^\W*((?:[\w'-]+\s+){2,6}?(?:is|are|was|were|am)\b)", re.IGNORECASE)
CLAUSE = r"(?:[,;.!?]\s*(?:and\s+|but\s+)?|\s+(?:and|but)\s+)"  # where a new clause may start


def unrestate(text: str) -> str:
    """``text`` up to the first clause that begins with the same subject and verb as the text itself,
    the loop a small model falls into when it enumerates ("A week is 7 days, and a week is 5 days, and
    a week is 10 days, and a week,").  The first statement is the answer; what restates it only
    contradicts or repeats it.  A clause about another subject stays ("The capital of France is Paris
    and the capital of Italy is Rome")."""
    m = OPENING.match(text)
    if m is None:
        return text
    words = m.group(1).split()
    again = re.search(CLAUSE + r"\s*" + r"\s+".join(map(re.escape, words)) + r"\b", text[m.end():], re.IGNORECASE)
    if again is None:
        return text
    head = text[:m.end() + again.start()].rstrip(" ,;")
    return head if head.endswith((".", "!", "?")) else head + "."


# a recalled line's provenance as memory pages show it (kernel/memory/recall.py: "[fact · m-1a2b user:root · 0.59]"),
# closed or cut off, which a small model copies from the page into what it writes
# or the bare id and collection of one ("m-3b53 user:ann · 0.86")
MARK = re.compile(r"\s*\[\w+ · [^\]\n]*(?:\]|$)|\s*\[?\b[mM]-[0-9a-f]{4,}\b[^\]\n]*· -?\d[\d.]*\]?")


def tidy(text: str) -> str:
    """What the model writes, without copied provenance marks, cut before the first sentence it repeats."""
    return unrepeat(MARK.sub("", text).strip()) if "·" in text else unrepeat(text)


def truncated(exc: SyscallError) -> bool:
    """The model's JSON action stopped at ``max_tokens`` (kernel/sched/sysllm.py's message for it)."""
    return exc.code == "llm_error" and "finish_reason=length" in exc.message


def tight(schema: dict[str, Any], chars: int = TIGHT_CHARS) -> dict[str, Any]:
    """The same action schema with every free string bounded to ``chars`` characters, so the JSON closes
    within the step's tokens."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node and "pattern" not in node:
                node["maxLength"] = min(int(node.get("maxLength", chars)), chars)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(out)
    return out


def answer_only(answer: str, output_schema: dict[str, Any] | None) -> dict[str, Any]:
    """The shortest action there is: the answer, a short string unless the app fixed its form."""
    sub = tight(output_schema, ANSWER_CHARS) if output_schema else {"type": "string", "maxLength": ANSWER_CHARS}
    return {"type": "object", "properties": {"tool": {"enum": [answer]}, answer: sub}, "required": ["tool", answer]}


def arithmetic(task: str) -> bool:
    """Whether the task asks for a computation the calculator can do (``1000 minus 357``, ``17% of 300``,
    ``12 squared``), or asks for a total or a count of two or more numbers it gives ("3 items at 12.75 each
    and one at 4.6. What's the total?")."""
    plain = NOT_SUMS.sub(" ", task)
    if ARITH.search(plain) or expressions(task):  # or a phrasing sums reads
        return True
    return len(re.findall(NUM, plain)) >= 2 and bool(HOW_MUCH.search(plain))


def asks_sum(task: str) -> bool:
    """Whether an arithmetic task asks for the result itself: a total or a count, or a question that writes
    its own expression.  Such a task starts with the calculator even when a word of it matches another
    tool's route ("I spent $18.49, $7.35 and $22.10 today. What's the total?" is not the clock's)."""
    plain = NOT_SUMS.sub(" ", task)
    return bool(HOW_MUCH.search(plain)) or ("?" in task and bool(expressions(task)))


# a question about a moment or an age: the numbers in it are years and times, the clock's and not a word problem's
WHEN = re.compile(r"\b(?:until|since|ago|from now|how old|born|age)\b", re.IGNORECASE)


# a question for a value: "what's the sale price?", "work out the cost"
ASKS_VALUE = re.compile(r"\bwhat(?:'?s|\s+is|\s+was|\s+will|\s+would)\b[^.!]*(?:\?|$)|\b(?:calculate|compute|work out|figure out)\b",
                        re.IGNORECASE)
YEAR = re.compile(r"(?<![\d.,])(?:1[5-9]|20)\d\d(?![\d.,])")  # 1914, 2026: a year, not a quantity


def word_problem(task: str) -> bool:
    """Whether the task asks for a sum in words without writing it: it writes no expression the calculator
    can take (kernel/agent/sums.py), is not about a moment or an age, and gives one or more numbers (years
    aside) and asks how much or how many ("How many minutes are there in 3.5 hours?"), or two or more and
    asks for a value ("What's the sale price?").  A small model that retypes such a sum as one expression
    gets it wrong more often than not (docs/eval.md)."""
    plain = NOT_SUMS.sub(" ", task)
    nums = len(re.findall(NUM, YEAR.sub(" ", plain)))
    if not nums or WHEN.search(plain) or expressions(task):
        return False
    return bool(HOW_MUCH.search(plain)) or (nums >= 2 and bool(ASKS_VALUE.search(plain)))


def results_answer(results: list[str], schema: dict[str, Any], answer: str) -> dict[str, Any]:
    """The action schema with the answer held to ``results``: the calculator's numeric results so far, or
    the parts of an answer-source tool's output (``output_parts``): a small model that has the right
    number in an observation still writes a different one (or its working) in the answer.  Unchanged
    while there are none, or when the app fixed the answer's form."""
    if not results or schema["properties"].get(answer) != {"type": "string"}:
        return schema
    out = copy.deepcopy(schema)
    out["properties"][answer] = {"enum": list(dict.fromkeys(results))}
    return out


PART = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}(?::\d{2})?|[^\W_]+(?:['.-][^\W_]+)*")
MAX_PARTS = 60
MAX_OUTPUT = 300  # a longer output is not offered whole, and its parts are not split out


def output_parts(output: str, span: int = 4, not_in: str = "") -> list[str]:
    """An answer-source tool's output as the answers it allows: the output itself, each of its parts (words,
    numbers, dates such as 2026-12-04, times such as 16:51), and runs of up to ``span`` words that stand
    together in it ("Friday 4 December 2026").  A small model with the right fact in an observation still
    writes another (a year from its training data, a weekday worked out wrong).  A part that is one word of
    ``not_in`` (the task) is left out: the answer is what the task did not say ("What is the plural of
    mouse?" is not answered "mouse")."""
    text = " ".join(output.split())
    if not text or len(text) > MAX_OUTPUT:
        return []
    parts = [m.group(0) for m in PART.finditer(re.sub(r"(?<=\d)T(?=\d)", " ", text))]  # ISO 8601's date T time
    runs: list[str] = []
    for chunk in re.split(r"[()\[\],;]", text):
        words = chunk.split()
        for n in range(2, span + 1):
            runs += [" ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    said = {w.casefold() for w in re.findall(r"[^\W_]+(?:['.-][^\W_]+)*", not_in)}
    parts = [p for p in parts if p.casefold() not in said]
    return list(dict.fromkeys([text, *parts, *runs]))[:MAX_PARTS]


def numeric(output: str) -> str | None:
    """The calculator's output when it is one number, else None."""
    text = output.strip()
    return text if RESULT.fullmatch(text) else None


def calculator_first(arg: str = "expression", own: list[str] | None = None) -> dict[str, Any]:
    """The first step's schema for an arithmetic task: a calculator call with one of the expressions the
    task writes itself (``own``, kernel/agent/sums.py), or when it writes none, a plain expression."""
    expr = {"enum": own} if own else {"type": "string", "pattern": EXPRESSION}
    return {"type": "object", "properties": {"tool": {"enum": ["calculator"]}, arg: expr}, "required": ["tool", arg]}
