"""Everyday money sums read in parts: the change for items bought, a metered bill and its fixed charge, an
appliance's running cost, a week's pay from its hours and how many periods a saving takes.  As in
kernel/agent/stories.py, each reading takes every number of the task or none of them."""
from __future__ import annotations

import re

from .stories import HOURLY, NUM, bare, bought, numbers

PAID = re.compile(rf"\b(?:paid|pay|paying|gave|give|handed|hand)\b[^.?!\d]{{0,20}}\$?({NUM})", re.IGNORECASE)
CHANGE = re.compile(r"\bchange\b|\bget back\b", re.IGNORECASE)
COST_ASKED = re.compile(r"\bhow much\b|\b(?:cost|bill|total|pay|charge|fare)\b", re.IGNORECASE)


def change(task: str) -> str | None:
    """The change from a payment for items at a price each and single items ("3 notebooks at $4.25 each and a
    pen for $1.80, and paid with a $20 bill": 20 - (3 * 4.25 + 1.80))."""
    paid = PAID.search(task)
    if not paid or not CHANGE.search(task):
        return None
    items = bought(task[:paid.start()] + " " + task[paid.end():])
    if not items or sorted([*items[1], bare(paid.group(1))]) != sorted(numbers(task)):
        return None
    return f"{bare(paid.group(1))} - ({items[0]})"


UNIT_PRICE = re.compile(rf"\$?({NUM})\s*(cents?\s+)?(?:dollars?\s+)?(?:per|a|an|/|for each|for every)\s*([a-z]+(?:[- ]hours?)?)\b",
                        re.IGNORECASE)
FIXED = re.compile(r"\b(?:fixed|flat|service|standing|base|basic|connection|monthly|daily)\b[^.?!]{0,30}?\b"
                   r"(?:charge|fee|rate|fare|cost)\b|\b(?:charge|fee|fare)\b", re.IGNORECASE)


def _unit(word: str) -> str:
    w = word.lower().replace("-", " ")
    return w[:-1] if w.endswith("s") and len(w) > 3 and not w.endswith("ss") else w


def metered(task: str) -> str | None:
    """A bill for a measure used at a price per unit, and a fixed charge when the task names one ("640 kWh ...
    $0.15 per kWh plus a fixed $12 service charge": 640 * 0.15 + 12)."""
    nums = numbers(task)
    if not COST_ASKED.search(task) or "%" in task or len(nums) not in (2, 3):
        return None
    for price in UNIT_PRICE.finditer(task):
        unit = _unit(price.group(3))
        used = [m for m in re.finditer(rf"(?<![\d.$])({NUM})\s*([a-z]+(?:[- ]hours?)?)\b", task, re.IGNORECASE)
                if _unit(m.group(2)) == unit and m.start() != price.start()]
        if len(used) != 1:
            continue
        rate = f"{bare(price.group(1))} / 100" if price.group(2) else bare(price.group(1))
        rest = [n for n in nums if n not in (bare(price.group(1)), bare(used[0].group(1)))]
        if not rest:
            return f"{bare(used[0].group(1))} * {rate}"
        if len(rest) == 1 and FIXED.search(task):
            return f"{bare(used[0].group(1))} * {rate} + {rest[0]}"
    return None


POWER = re.compile(rf"({NUM})\s*(kw|kilowatts?|w|watts?)\b", re.IGNORECASE)
DAILY = re.compile(rf"({NUM})\s*(?:hours?|hrs?|h)\s*(?:a|per|each|every)\s*day\b", re.IGNORECASE)
DAYS = re.compile(rf"({NUM})[- ]days?\b", re.IGNORECASE)
KWH = re.compile(rf"\$?({NUM})\s*(cents?\s+)?(?:dollars?\s+)?(?:per|a|/)\s*(?:kwh|kilowatt[- ]hours?)\b", re.IGNORECASE)


def running_cost(task: str) -> str | None:
    """What an appliance costs to run: its power, hours a day, days and the price of a kWh ("1.5 kW ... 6 hours
    a day ... $0.14 per kWh ... 30 days": 1.5 * 6 * 0.14 * 30; watts are a thousandth of a kW)."""
    power, daily, price = POWER.search(task), DAILY.search(task), KWH.search(task)
    if not (power and daily and price and COST_ASKED.search(task)):
        return None
    days = DAYS.search(task[:daily.start()] + " " + task[daily.end():])
    parts = [power.group(1), daily.group(1), price.group(1)] + ([days.group(1)] if days else [])
    if sorted(map(bare, parts)) != sorted(numbers(task)):
        return None
    kw = bare(power.group(1)) + (" / 1000" if power.group(2).lower().startswith("w") else "")
    rate = bare(price.group(1)) + (" / 100" if price.group(2) else "")
    return " * ".join([kw, bare(daily.group(1)), rate] + ([bare(days.group(1))] if days else []))


PAY_ASKED = re.compile(r"\b(?:pay|paid|earn(?:ed|ings)?|make|made|wages?|salary|gross)\b", re.IGNORECASE)


def week_pay(task: str) -> str | None:
    """Pay for hours worked on several days at one hourly rate ("7.5 hours Monday, 8.25 Tuesday ... At $22.50 an
    hour": (7.5 + 8.25 + ...) * 22.50).  Not with overtime, a percentage or a count of days."""
    rate = HOURLY.search(task)
    if (not rate or not PAY_ASKED.search(task) or "%" in task or re.search(r"\bovertime|time[- ]and\b", task, re.I)
            or re.search(rf"{NUM}\s*(?:days?|weeks?|months?)\b", task, re.I)):
        return None
    hours = numbers(task[:rate.start()] + " " + task[rate.end():])
    if len(hours) < 2 or not re.search(r"\bhours?\b|\bhrs?\b", task[:rate.start()] + task[rate.end():], re.I):
        return None
    return f"({' + '.join(hours)}) * {bare(rate.group(1))}"


SAVED = re.compile(rf"\$?({NUM})\s*(?:(?:a|an|per|each|every)\s+(day|week|month|year)\b|(dai|week|month|year)ly\b)", re.IGNORECASE)
PERIODS = re.compile(r"\bhow (?:many (?:full |whole |more )?(days|weeks|months|years)|long)\b", re.IGNORECASE)
HAD = re.compile(rf"\b(?:already (?:have|had|saved|got)|have already (?:saved|got)|start(?:ing)? with|saved so far)\D{{0,12}}?\$?({NUM})",
                 re.IGNORECASE)  # "I already have $190 saved"


def periods(task: str) -> str | None:
    """How many whole periods a regular saving takes to reach a sum ("$135 every month ... how many months ...
    at least $2,000": ceil(2000 / 135)); the last period counts whole."""
    saved, asked, had = SAVED.search(task), PERIODS.search(task), HAD.search(task)
    nums = numbers(task)
    if not saved or not asked or len(nums) != 2 + bool(had) or "%" in task:
        return None
    period = (saved.group(2) or saved.group(3) or "").lower().replace("dai", "day")
    if asked.group(1) and not asked.group(1).lower().startswith(period):
        return None
    goal = [n for n in nums if n not in (bare(saved.group(1)), bare(had.group(1)) if had else None)]
    if len(goal) != 1:
        return None
    return f"ceil(({goal[0]} - {bare(had.group(1))}) / {bare(saved.group(1))})" if had else f"ceil({goal[0]} / {bare(saved.group(1))})"


DRIVEN = re.compile(rf"({NUM})[- ]?(km|kilomet(?:er|re)s?|miles?|mi)\b", re.IGNORECASE)
PER_100 = re.compile(rf"({NUM})\s*(?:l|litres?|liters?)\s*(?:of [a-z]+\s+)?(?:per|/|every|for each)\s*100\s*(?:km|kilomet(?:er|re)s?)\b",
                     re.IGNORECASE)  # "6.5 liters of fuel per 100 km"
MPG = re.compile(rf"({NUM})\s*(?:miles per gallon|mpg|miles to the gallon|miles a gallon)", re.IGNORECASE)
FUEL_PRICE = re.compile(rf"\$?({NUM})\s*(?:dollars?\s+|euros?\s+)?(?:per|a|an|/|for each)\s*(litre|liter|l|gallon)\b", re.IGNORECASE)


def fuel_cost(task: str) -> str | None:
    """What the fuel for a trip costs ("420 km ... 6.5 liters per 100 km ... 1.80 per liter": 420 * 6.5 / 100 * 1.80;
    "416-mile trip ... 32 miles per gallon ... $3.45 a gallon": 416 / 32 * 3.45)."""
    price = FUEL_PRICE.search(task)
    use = PER_100.search(task) or MPG.search(task)
    if not price or not use or not COST_ASKED.search(task) or len(numbers(task)) != (4 if use.re is PER_100 else 3):
        return None
    trips = [m for m in DRIVEN.finditer(task) if not (use.start() <= m.start() < use.end())]
    if len(trips) != 1:
        return None
    d, p, u = bare(trips[0].group(1)), bare(price.group(1)), bare(use.group(1))
    return f"{d} * {u} / 100 * {p}" if use.re is PER_100 else f"{d} / {u} * {p}"


READINGS = (running_cost, change, week_pay, periods, fuel_cost, metered)


def bill(task: str) -> str | None:
    """The first reading here that takes the task, or None."""
    return next((e for read in READINGS if (e := read(task))), None)
