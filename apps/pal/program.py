"""The program pal has the model write: a prompt with worked examples, and a schema that keeps it sound.

The model writes the program's one computing line, ``answer = <expression>``, under a JSON
schema whose pattern admits only the numbers of the question joined by + - * /.  A 135M model
left free invents numbers and writes code that does not run (measured: 2 of 20 right); held to
the question's numbers it mostly has to choose the operations, which it can.  When the question
has two to four numbers the line must use each of them exactly once, in any order: the model
otherwise often stops a step short ("6 a pack, 3 packs, drinks 4" -> 6 * 3).  Measured on the
development set: 21 of 30 in three runs against 18-20 without it (docs/apps.md).
"""
from __future__ import annotations

import itertools
import re

from . import units

# Worked examples of the form.  None of them is an evaluation problem.
EXAMPLES = [
    ("A shirt costs 15 dollars. Paul pays with a 20 dollar bill for one shirt. How much change does he get?",
     "20 - 15"),
    ("Sara has 4 times as many pens as Ann. Ann has 6 pens. How many pens does Sara have?", "4 * 6"),
    ("Jim has 12 cards. Lee has 5 more cards than Jim. How many cards do they have together?", "12 + 12 + 5"),
    ("A jar had 90 beans. 30 were eaten on Monday and 25 on Tuesday. How many beans are left?", "90 - 30 - 25"),
    ("There are 31 pupils in a room. 17 of them are sitting. How many are standing?", "31 - 17"),
    ("Olivia has 23 dollars. She buys 5 bagels for 3 dollars each. How much money does she have left?", "23 - 5 * 3"),
    (("A garden has 7 rows of roses with 6 roses in each row. 13 roses are picked. How many roses are still "
      "in the garden?"), "7 * 6 - 13"),
    ("Michael had 58 golf balls. He found 23 more. How many golf balls does he have now?", "58 + 23"),
    ("54 cookies are shared equally by 6 children. How many cookies does each child get?", "54 / 6"),
]
SYSTEM = ("You turn a math word problem into the line of a Python program that computes its answer: "
          "one arithmetic expression using the numbers in the problem.")
UNIT_FACTORS: tuple[str, ...] = ()  # numbers allowed beyond the question's (measured: 7/12/24/60 hurt more than helped)
EACH_ONCE = range(2, 5)  # questions with this many numbers: the line uses every one of them once
WORDS = {w: str(i) for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
WORDS.update({w: str(10 * i) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)})
WORDS.update({"twice": "2 times", "double": "2 times", "triple": "3 times", "half": "1/2 of", "dozen": "12",
              "doubles": "2 times", "triples": "3 times"})
NUM = re.compile(r"\d+(?:\.\d+)?")


# a power written in words, read as the number it names ("2 raised to the 9th power" is 512)
POWERS = [re.compile(r"\b(\d+) (?:to the power of|raised to the power of|raised to the) (\d+)(?:st|nd|rd|th)?(?: power)?\b"),
          re.compile(r"\b(\d+) (squared|cubed)\b"), re.compile(r"\bthe (square|cube) of (\d+)\b")]
EXPONENT = {"squared": 2, "square": 2, "cubed": 3, "cube": 3}


def _power(m: re.Match[str]) -> str:
    a, b = m.groups()
    base, exp = (int(a), EXPONENT.get(b) or int(b)) if a.isdigit() else (int(b), EXPONENT[a])
    return str(base ** exp) if exp <= 20 and base ** exp < 10**12 else m.group(0)


# abbreviated units as their words, so the unit table and the unit analysis read them: "60 mph", "250 g"
ABBREVIATIONS = [(r"\bmph\b", "miles per hour"), (r"\b(?:km/h|kph|kmh)\b", "kilometers per hour"),
                 *((rf"(?<=\d)\s*{a}\b", f" {w}") for a, w in (
                     ("kg", "kilograms"), ("g", "grams"), ("km", "kilometers"), ("cm", "centimeters"), ("mm", "millimeters"),
                     ("ml", "milliliters"), ("oz", "ounces"), ("lbs?", "pounds"), ("hrs?", "hours"), ("mins?", "minutes"),
                     ("ft", "feet")))]


def normalize(question: str) -> str:
    """Number words as digits ("five bagels" -> "5 bagels"), powers in words as the number they name,
    abbreviated units as words ("60 mph" -> "60 miles per hour"), thousands separators dropped, spaces tidied."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", " ".join(question.split()))
    for short, word in ABBREVIATIONS:
        text = re.sub(short, word, text)
    text = re.sub(r"\b[A-Za-z]+\b", lambda m: WORDS.get(m.group(0).lower(), m.group(0)), text)
    for p in POWERS:
        text = p.sub(_power, text)
    return text


def literal(number: str) -> str:
    """A number as a pattern literal llama.cpp's schema-to-grammar converter reads: its regex parser
    knows no ``\\.`` escape ("unknown escape"), so a decimal point is the class ``[.]``."""
    return number.replace(".", "[.]")


def messages(question: str) -> list[dict]:
    out = [{"role": "system", "content": SYSTEM}]
    for q, expr in EXAMPLES:
        out += [{"role": "user", "content": q}, {"role": "assistant", "content": f'{{"expression": "{expr}"}}'}]
    return out + [{"role": "user", "content": question}]


def schema(question: str, *, use_units: bool = True) -> dict:
    """An object with one ``expression``: the question's numbers joined by operators; each of them
    exactly once when there are two to four, else any of them (and the unit factors) up to six atoms.
    With ``use_units`` the factors the unit table finds for the question (units.py) count as
    numbers of the question, and a question about powers may also use ``**``."""
    # a factor equal to a number of the question is still an atom of its own (60 ticks a minute for 2 hours
    # is 60 * 60 * 2), as in search.atoms
    atoms = NUM.findall(question) + (units.factors(question) if use_units else [])
    op = "( [-+*/] | \\*\\* )" if use_units and units.powers(question) else " [-+*/] "
    if len(atoms) in EACH_ONCE and not UNIT_FACTORS:
        orders = sorted({op.join(literal(n) for n in p) for p in itertools.permutations(atoms)})
        pattern = "^(" + "|".join(f"({o})" for o in orders) + ")$"
    else:
        nums = sorted(set(atoms) | set(UNIT_FACTORS), key=lambda n: (-len(n), n))
        atom = "(" + "|".join(literal(n) for n in nums) + ")"
        pattern = f"^{atom}({op}{atom}){{0,5}}$"
    return {"type": "object", "required": ["expression"],
            "properties": {"expression": {"type": "string", "pattern": pattern}}}


def program(question: str, expression: str) -> str:
    """The Python program run in the sandbox."""
    return f"# {question[:200]}\nanswer = {expression}\nprint(answer)\n"


def plausible(answer: str) -> bool:
    """A grade-school answer is a whole number that is not negative; votes prefer those."""
    try:
        v = float(answer)
    except ValueError:
        return False
    return v >= 0 and v == int(v)


def number(text: str) -> str | None:
    """The last number in a program's output, tidied (``9.0`` -> ``9``)."""
    found = re.findall(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    if not found:
        return None
    v = float(found[-1])
    return str(int(v)) if v == int(v) else f"{v:.6g}"
