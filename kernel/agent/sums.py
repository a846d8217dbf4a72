"""The expressions an arithmetic task writes itself: operator words turned into signs, then every span that
the calculator can evaluate, so the first calculator call copies the task's own sum instead of retyping it."""
from __future__ import annotations

import re
from functools import partial
from typing import Any

from drivers.tools.asking import NUMBER_WORDS, SPOKEN, in_digits
from drivers.tools.calc import CalcError, evaluate

from .bills import PAID, bill
from .figures import figure
from .stories import NUM, story

ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
            "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
            "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
            r"\d+(?:st|nd|rd|th)": 0}  # "to the third power", "to the 5th power"
NOT_SUMS = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d\d")  # dates and times
# operator words and phrasings, in the order they are rewritten (longer phrases first)
WORDS: list[tuple[str, Any]] = [
    (rf"\b(?:the\s+)?square root(?:\s+of)?\s+({NUM})|\bsqrt\s+({NUM})", r"sqrt(\1\2)"),
    (r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?\d+)\b", r"(\1 * 10 ^ \2)"),  # 2.4e3
    (rf"\b(?:the\s+)?cube root(?:\s+of)?\s+({NUM})", r"(\1 ^ (1 / 3))"),
    (rf"\bdouble\s+({NUM})", r"(\1 * 2)"), (rf"\btriple\s+({NUM})", r"(\1 * 3)"), (rf"\bhalve\s+({NUM})", r"(\1 / 2)"),
    (rf"\b(?:a\s+|one\s+)?half of\s+({NUM})", r"(\1 / 2)"), (rf"\b(?:a\s+|one\s+)?(?:quarter|fourth) of\s+({NUM})", r"(\1 / 4)"),
    (rf"\b(?:a\s+|one\s+)?third of\s+({NUM})", r"(\1 / 3)"),
    (rf"(?<![\d.])({NUM})\s*/\s*({NUM})\s+(?:as|in|into|to)\s+(?:a\s+)?percent(?:age)?\b", r"\1 / \2 * 100"),  # "3/4 as a percentage"
    (rf"\b(?:the\s+)?square of\s+({NUM})", r"\1 ^ 2"), (rf"\b(?:the\s+)?cube of\s+({NUM})", r"\1 ^ 3"),
    (rf"\b(?:subtract|deduct)\s+({NUM})\s+from\s+({NUM})", r"\2 - \1"),
    (rf"\btake\s+(?:away\s+)?({NUM})\s+(?:away\s+)?from\s+({NUM})", r"\2 - \1"),
    (rf"\b(?:raised\s+)?to the\s+({'|'.join(ORDINALS)})\s+power\b", lambda m: "^ " + str(power(m.group(1)))),
    (rf"\b(?:multiply\s+({NUM})\s+(?:by|and|with)|(?:the\s+)?product of\s+({NUM})\s+and)\s+({NUM})", r"\1\2 * \3"),
    (rf"\b(?:divide\s+({NUM})\s+by|(?:the\s+)?quotient of\s+({NUM})\s+(?:and|by))\s+({NUM})", r"\1\2 / \3"),
    (rf"\b(?:the\s+)?difference (?:between|of)\s+({NUM})\s+and\s+({NUM})", r"\1 - \2"),
    (r"\braised to the power of\b|\braised to\b", "^"),
    # a conversion the task gives the factor of: "convert 5 miles to km, use 1 mile = 1.609 km"
    (rf"\b({NUM})\s+([a-z]+?)(?:e?s)?\s+(?:to|into|in)\s+[a-z]+\b[^=]{{0,30}}?\b1\s+\2(?:e?s)?\s*(?:=|is|equals)\s*({NUM})[^.?!,]*",
     r"\1 * \3"),
    # temperatures, by their formula: "68 degrees fahrenheit to celsius"
    (rf"({NUM})\s*(?:°\s*|degrees?\s+)?f(?:ahrenheit)?\s+(?:to|in|into)\s+(?:degrees\s+)?c(?:elsius|entigrade)?\b", r"(\1 - 32) * 5 / 9"),
    (rf"({NUM})\s*(?:°\s*|degrees?\s+)?c(?:elsius|entigrade)?\s+(?:to|in|into)\s+(?:degrees\s+)?f(?:ahrenheit)?\b", r"\1 * 9 / 5 + 32"),
    # a second step on the first's result: "1250 divided by 25, then add 18 to that"
    (rf"(?<=[\d)])\s*,?\s*(?:and\s+)?(?:then\s+)?add\s+({NUM})(?:\s+to\s+(?:that|it|the result))?", r" + \1"),
    (rf",?\s*(?:and\s+)?then\s+(?:subtract|take away)\s+({NUM})(?:\s+from\s+(?:that|it|the result))?", r" - \1"),
    (rf"\b(?:the\s+)?(?:average|mean) of\s+({NUM})((?:\s*,\s*{NUM})*)\s*,?\s+and\s+({NUM})", "AVG"),
    (rf"\b(?:add(?:\s+up)?|sum of|total of|sum)\s+({NUM})((?:\s*(?:,|\band\b)\s*{NUM})*)\s*,?\s+and\s+({NUM})", "SUM"),
    (rf"({NUM})\s*(?:percent|%)\s+of\s+({NUM})", r"\1 / 100 * \2"),
    # a share of an amount: "a 15% tip on a $64 bill", "8% tax on $250", "3/8 of 640"
    (rf"({NUM})\s*(?:percent|%)\s+(?:tip|tax|vat|service charge|discount|commission|deposit)\s+(?:on|of|for)\s+"
     rf"(?:(?:a|an|the|my|our)\s+)?\$?({NUM})", r"\1 / 100 * \2"),
    (rf"(?<![\d.])({NUM})\s*/\s*({NUM})\s+of\s+(?:(?:a|an|the)\s+)?\$?({NUM})", r"\1 / \2 * \3"),
    (r"\bmultiplied by\b", "*"), (r"\bdivided by\b", "/"), (r"\btimes\b", "*"),
    (r"\bplus\b", "+"), (r"\bminus\b", "-"), (r"\bsquared\b", "^ 2"), (r"\bcubed\b", "^ 3"),
    (r"\bto the power of\b", "^"), (r"[×x](?=\s*\d)", "*"), (r"÷", "/"), (r"−", "-"),  # U+2212, the minus sign
    (r"²", " ^ 2"), (r"³", " ^ 3"),  # "7²"
]
SPAN = re.compile(r"(?:sqrt\()?[\d(][\d\s.,+\-*/^()sqrt]*[\d)]")


def _joined(nums: list[str], op: str) -> str:
    """Listed numbers as their sum, or (``AVG``) their mean."""
    joined = " + ".join(n.replace(",", "") for n in nums)
    return f"({joined}) / {len(nums)}" if op == "AVG" else joined


def power(word: str) -> int:
    """The exponent an ordinal names: "third" is 3, "12th" is 12."""
    return ORDINALS.get(word.lower()) or int(re.sub(r"\D", "", word))


def _listed(m: re.Match[str], op: str) -> str:
    return _joined([m.group(1), *re.findall(NUM, m.group(2) or ""), m.group(3)], op)


ASKS_MEAN = re.compile(r"\b(?:average|mean)\b", re.IGNORECASE)
LISTED = re.compile(rf"({NUM})((?:\s*,\s*{NUM})+\s*,?\s+and\s+{NUM}|(?:\s*,\s*{NUM})*\s*,?\s+and\s+{NUM})")


def rewrite(task: str) -> str:
    """The task with its operator words as signs (``1000 minus 357`` -> ``1000 - 357``); a task that asks for
    an average of numbers it lists anywhere ("my scores were 82, 91, 77 and 90 - what's my average") has the
    list as their mean."""
    text = task
    if ASKS_MEAN.search(text) and not re.search(r"\b(?:average|mean) of\s+\d", text, re.IGNORECASE):
        text = LISTED.sub(lambda m: _joined(re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", m.group(0)), "AVG"), text, count=1)
    for pattern, repl in WORDS:
        if repl in ("SUM", "AVG"):
            text = re.sub(pattern, partial(_listed, op=repl), text, flags=re.IGNORECASE)
        else:
            text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    while step := THEN.search(text):  # "divide 1000 by 8, then multiply by 3": the first sum whole, times 3
        first = list(SPAN.finditer(text[:step.start()].rstrip()))
        if not first or first[-1].end() != len(text[:step.start()].rstrip()):
            break
        sign = "*" if step.group(1).lower().startswith("multipl") else "/"
        text = f"{text[:first[-1].start()]}({first[-1].group(0)}) {sign} {step.group(2)}{text[step.end():]}"
    return text


THEN = re.compile(rf",?\s*(?:and\s+)?then\s+(multiply|divide)\s+(?:(?:that|it|the result|the answer)\s+)?by\s+({NUM})", re.IGNORECASE)


PERCENT = re.compile(rf"({NUM})\s*(?:%|percent\b)", re.IGNORECASE)
AMOUNT = re.compile(rf"(?<![\d.])\$?({NUM})(?!\s*(?:%|percent\b)|\d|\.\d)", re.IGNORECASE)


def whole(task: str) -> str | None:
    """A sum read from the whole task: one of the forms below (``read_whole``), or one a word problem states in
    parts (kernel/agent/bills.py, stories.py, figures.py); None when it is none of these."""
    return read_whole(task) or bill(task) or story(task) or figure(task)


def read_whole(task: str) -> str | None:
    """The sum of a task whose numbers are not side by side, read from the whole of it: the change from a
    payment, a percentage change from one amount to another, and one amount with one percentage: less it
    ("25% off", "take away 35% of it ... left"), plus it (a total with tax, "increased by 10%") or its share
    (a tip, a tax, "how much do I save").  None when the task is none of these."""
    low = task.lower()
    pcts = [m.group(1).replace(",", "") for m in PERCENT.finditer(task)]
    amounts = [m.group(1).replace(",", "") for m in AMOUNT.finditer(NOT_SUMS.sub(" ", task))]
    if not pcts and re.search(r"\bchange\b", low) and PAID.search(task) and len(set(amounts)) == 2:
        # what is handed over is the larger amount, wherever it stands ("pay for a $37.85 bill with a $50 note")
        cost, given = sorted(amounts, key=float)
        return f"{given} - {cost}"
    if re.search(r"\b(?:what|which|by how much) (?:percent|percentage)|\bpercent(?:age)? (?:increase|decrease|change|rise|drop)", low):
        if m := re.search(rf"\bfrom\s+\$?({NUM})(?:\s+[a-z]+){{0,3}}\s+to\s+\$?({NUM})", task, re.IGNORECASE):  # "from $80 last month to $92"
            a, b = (g.replace(",", "") for g in m.groups())
            return f"({b} - {a}) / {a} * 100" if float(b) >= float(a) else f"({a} - {b}) / {a} * 100"
    if len(pcts) == 2 and len(amounts) == 1 and re.search(r"\b(?:tax|vat)\b", low):  # "25% off ... then 8% sales tax"
        off = re.search(rf"({NUM})\s*(?:%|percent)\s*(?:off|discount)\b|\b(?:discount|off) of\s+({NUM})\s*(?:%|percent)", task, re.I)
        if off:
            cut = (off.group(1) or off.group(2)).replace(",", "")
            tax = next((p for p in pcts if p != cut), None)
            return f"{amounts[0]} * (1 - {cut} / 100) * (1 + {tax} / 100)" if tax else None
    if not pcts and len(amounts) == 2 and re.search(r"\bpercent(?:age)?\b", low):
        if m := re.search(rf"\b({NUM})\s+out of\s+({NUM})\b", task):  # "42 out of 50 ... what percentage"
            return f"{m.group(1).replace(',', '')} / {m.group(2).replace(',', '')} * 100"
        if m := re.search(rf"\b({NUM})\s+(?:of them\s+|questions?\s+|answers?\s+)?(wrong|incorrect|right|correct)\b", task, re.I):
            got = m.group(1).replace(",", "")
            total = next((a for a in amounts if a != got), None)  # "40 questions ... got 7 of them wrong"
            if total is None:
                return None
            return f"{got} / {total} * 100" if m.group(2).lower() in ("right", "correct") else f"({total} - {got}) / {total} * 100"
        if re.search(r"\b(?:bought|paid)\b.*\bsold\b", low) and re.search(r"\b(?:profit|gain|loss|return)\b", low):
            a, b = amounts  # bought first, sold after: the change on what was paid
            return f"({b} - {a}) / {a} * 100" if float(b) >= float(a) else f"({a} - {b}) / {a} * 100"
    off = re.search(rf"({NUM})\s*(?:%|percent)\s*(?:off|discount)\b", task, re.I)
    if off and len(pcts) == 1 and len(amounts) == 2 and re.search(r"\b(?:coupon|voucher|gift card|store credit)\b", low):
        coupon, price = sorted(amounts, key=float)  # "$120 ... 35% off ... a $10 coupon after the discount"
        return f"{price} * (1 - {pcts[0]} / 100) - {coupon}"
    if len(pcts) != 1 or len(amounts) != 1:
        return None
    p, a = pcts[0], amounts[0]
    asked = re.split(r"(?<=[.!])\s+", low.strip())[-1]  # the question, when the task states its parts first
    if re.search(r"\b(?:original|regular|full|list)\s+price\b|\bbefore (?:the )?(?:discount|sale|markdown)\b", asked) and \
            re.search(r"\b(?:after|with|at|on sale|off|discount(?:ed)?)\b", low):  # "$40 after a 20% discount ... the original price"
        return f"{a} / (1 - {p} / 100)"
    if re.search(r"\bbefore (?:the )?(?:tax|vat)\b|\bwithout (?:the )?(?:tax|vat)\b", asked) and re.search(r"\b(?:including|incl|with|after)\b", low):
        return f"{a} / (1 + {p} / 100)"  # "$54 including 8% tax ... what was it before tax"
    if re.search(r"\bhow much (?:do|will|would|did|can) (?:i|you|we) save\b|\bhow much is the discount\b", low):
        return f"{a} * {p} / 100"
    if re.search(r"\b(?:off|discount(?:ed)?|reduced|sale price)\b|\btake away\b.*\b(?:left|remain)", low):
        return f"{a} - {a} * {p} / 100"
    if re.search(r"\b(?:increase[sd]?|raise[sd]?|rise[sn]?|rose|grow[sn]?|grew|go(?:es)? up|went up) by\b", low):
        return f"{a} + {a} * {p} / 100"
    if re.search(r"\b(?:tip|tax|vat|gratuity|service charge)\b", low):
        with_it = re.search(r"\b(?:total|including|included|with (?:the )?(?:tip|tax)|altogether|in all|after (?:the )?tax|"
                            r"add(?:s|ed|ing)? (?:an? |the )?\d+(?:\.\d+)?\s*(?:%|percent) (?:tip|tax))\b", low)
        return f"{a} + {a} * {p} / 100" if with_it else f"{a} * {p} / 100"
    if re.search(r"\bhow (?:many|much)\b", low) and not re.search(r"\b(?:more|less|fewer|left|remain\w*|new|now|after|before|"
                                                               r"increase\w*|decrease\w*|r[io]se|grow\w*|grew|drop\w*|f[ae]ll|per|not|\w+n't)\b", low):
        return f"{a} * {p} / 100"  # "a 60-litre tank is 35% full; how many litres are in it"
    return None


COUNTS = {w: n for w, n in NUMBER_WORDS.items() if n <= 12}  # "four of us"
SPLIT = re.compile(r"\b(\d+|" + "|".join(COUNTS) + r")\s+(?:of us|people|friends|ways|persons|roommates|colleagues)\b"
                   r"|\b(?:between|among|by)\s+(?:the\s+)?(\d+|" + "|".join(COUNTS) + r")\b(?:\s+(?:of us|people|friends|ways))?",
                   re.IGNORECASE)
SHARES = re.compile(r"\b(?:split(?:ting)?|shar(?:e|ed|ing)|divid(?:e|ed|ing))\b.*\b(?:evenly|equally|each)\b|"
                    r"\beach (?:person|of us|one)\b|\bper person\b", re.IGNORECASE | re.DOTALL)


def shared_by(task: str) -> tuple[int, str] | None:
    """A sum split evenly among a number of people, and the task without that number ("Four of us are splitting
    a $138 rental plus $26 of groceries evenly"): (4, the task with "of us" and no four)."""
    m = SPLIT.search(task) if SHARES.search(task) else None
    if not m:
        return None
    said = (m.group(1) or m.group(2)).lower()
    n = COUNTS.get(said) if said in COUNTS else int(said)
    return (n, task[:m.start()] + " some " + task[m.end():]) if n and n > 1 else None


SAID_OPERAND = re.compile(rf"{SPOKEN.pattern}(?=\s*(?:%|percent\b|times\b|plus\b|minus\b|divided\b|multiplied\b|squared\b|cubed\b))",
                          re.IGNORECASE)  # "eighteen percent", "twelve times"
EACH_EXTRA = re.compile(rf"\beach\s+(?:of us\s+|person\s+)?(?:also\s+)?(?:chips? in|pays?|adds?|contributes?|puts? in|gives?|owes?)\s+"
                        rf"(?:an?\s+)?(?:extra|another|additional|more)?\s*\$\s*({NUM})", re.IGNORECASE)


def expressions(task: str, limit: int = 4) -> list[str]:
    """The task's own arithmetic (``own``), its numbers in digits when it writes none ("seven hundred twelve" is
    712); a sum split evenly among people is each one's share of it."""
    # words beside digits are counts of things ("the two days"), unless an operator follows ("eighteen percent of 245")
    task = SAID_OPERAND.sub(lambda m: in_digits(m.group(0)), task) if re.search(r"\d", task) else in_digits(task)
    split = shared_by(task)
    extra = EACH_EXTRA.search(split[1]) if split else None
    if split and extra:  # "... and each also chips in $4 for parking": the shared part, then each one's own
        rest = split[1][:extra.start()] + split[1][extra.end():]
        prices = [p.replace(",", "") for p in re.findall(rf"\$\s*({NUM})", rest)]
        shared = own(rest, limit) or ([" + ".join(prices)] if prices else [])
        return [f"({e}) / {split[0]} + {extra.group(1).replace(',', '')}" for e in shared]
    if split:
        prices = [p.replace(",", "") for p in re.findall(rf"\$\s*({NUM})", split[1])]
        summed = len(prices) == len(re.findall(NUM, split[1])) and not PERCENT.search(task)
        whole_sums = ([" + ".join(prices)] if summed and len(prices) >= 2 else []) or own(split[1], limit) or (prices if summed else [])
        if whole_sums:  # "a $138 rental plus $26 of groceries": everything, shared; "a bill of $87.60": it alone
            return [f"({e}) / {split[0]}" if " " in e else f"{e} / {split[0]}" for e in whole_sums]
    return own(task, limit)


def own(task: str, limit: int = 4) -> list[str]:
    """The task's own arithmetic, longest first: spans with at least one operator that evaluate; a sum read
    from the whole task (``whole``) comes first."""
    found: dict[str, None] = {}
    read = whole(ROUNDED.sub(" ", task))  # "round to 2 decimal places" is no number of the sum
    task = NOT_SUMS.sub(" ", task)
    for m in SPAN.finditer(rewrite(task)):
        span = " ".join(m.group(0).split()).strip(" ,")
        while span.count("(") > span.count(")") and span.startswith("("):
            span = span[1:].strip()
        if not re.search(r"[-+*/^]|sqrt", span):
            continue
        try:
            evaluate(span)
        except (CalcError, ArithmeticError, ValueError, TypeError):
            continue
        found.setdefault(span, None)
    found_all = ([read] if read else []) + sorted((f for f in found if f != read), key=len, reverse=True)[:limit - bool(read)]
    places = rounded(task)
    if places is None:
        return found_all
    return [f"round(({e}) * {10 ** places}) / {10 ** places}" if places else f"round({e})" for e in found_all]


ROUNDED = re.compile(r"\bto\s+(?:(\d|one|two|three)\s+(?:decimal\s+places?|decimals?|dp)|the\s+nearest\s+(?:(whole number|integer|"
                     r"dollar|unit)|(cent|penny|hundredths?)|(tenths?)))\b", re.IGNORECASE)


def rounded(task: str) -> int | None:
    """The decimal places a task asks its answer rounded to ("rounded to two decimal places": 2, "to the nearest
    whole number": 0, "the nearest cent": 2), or None."""
    m = ROUNDED.search(task)
    if not m:
        return None
    if m.group(1):
        return {"one": 1, "two": 2, "three": 3}.get(m.group(1).lower()) or int(m.group(1))
    return 0 if m.group(2) else 2 if m.group(3) else 1
