"""Sums a word problem states in parts, read as a person sets them out: a quantity scaled from a known one
("2.5 cups for 12 cookies; how many for 30"), items at a price each, a price for one of many, a measure
converted by a factor the task gives, what is left of an amount, interest, a total shared in a ratio, a
rate, a speed, a temperature in the other scale, an area and overtime pay.  Each reading takes every number
of the task or none of them."""
from __future__ import annotations

import re

NUM = r"\d[\d,]*(?:\.\d+)?"
NUMBER = re.compile(rf"(?<![\d.])\$?({NUM})(?:\s*(?:%|percent\b))?", re.IGNORECASE)
COUNTED = re.compile(rf"(?<![\d.$])({NUM})\s+(?:[a-z-]+\s+){{0,2}}?([a-z]+?)(?:e?s)?\b", re.IGNORECASE)  # "12 cookies"
PEOPLE = re.compile(r"\s+(?:servings|persons|guests|portions)\b", re.IGNORECASE)  # "for 10 servings" is 10 people
TIME_ASKED = re.compile(r"\bhow (?:long|many (?:days|hours|minutes|weeks|months|years))\b", re.IGNORECASE)
ASKS = re.compile(r"\bhow (?:many|much|far)\b", re.IGNORECASE)
EACH = re.compile(rf"(?<![\d.])({NUM})\s+(?:[a-z-]+\s+){{0,4}}?(?:at|for|@)\s+\$?({NUM})\s*(?:each|apiece|a piece|per (?:item|piece|pack|one))\b",
                  re.IGNORECASE)
SINGLE = re.compile(rf"\b(?:a|an|one)\s+(?:[a-z-]+\s+){{1,4}}?(?:for|at|costing|priced at)\s+\$?({NUM})\b", re.IGNORECASE)
TOTAL = re.compile(r"\b(?:total|altogether|in all|all together|how much (?:did|do|does|will|would) (?:i|we|you|he|she|they|it) "
                   r"(?:spend|pay|cost)|how much (?:is|was) (?:it|that|everything))\b", re.IGNORECASE)
LEFT = re.compile(r"\b(?:left(?:\s+over)?|leftover|remain(?:s|ing)?)\b", re.IGNORECASE)
RATIO = re.compile(r"\bratio of (\w+) to (\w+)\s+(?:is|was|of)\s+(\d+)\s*(?::|to)\s*(\d+)", re.IGNORECASE)
INTEREST = re.compile(rf"\$?({NUM})\b[^?!]*?\b({NUM})\s*(?:%|percent)[^?!]*?\b({NUM})\s+years?\b", re.IGNORECASE)


def bare(number: str) -> str:
    """A number as the calculator takes it: "1,340" is "1340"."""
    return number.replace(",", "")


def numbers(task: str) -> list[str]:
    return [m.group(1).replace(",", "") for m in NUMBER.finditer(task)]


def scaled(task: str) -> str | None:
    """A quantity for one count, scaled to another ("2.5 cups of flour for 12 cookies; how many cups for 30
    cookies": 2.5 * 30 / 12): three numbers, two of them counts of the same thing, the one the question asks
    about on top.  Not a time asked for ("how many days would 8 workers take" is inverse)."""
    nums = numbers(task)
    if len(nums) != 3 or "%" in task or "percent" in task.lower() or not ASKS.search(task) or TIME_ASKED.search(task):
        return None
    said = PEOPLE.sub(" people", re.sub(r"\bserves\s+(\d+)", r"serves \1 people", task, flags=re.IGNORECASE))
    asked_at = ASKS.search(said).start()  # type: ignore[union-attr]
    counted = [(m.group(1).replace(",", ""), m.group(2).lower(), m.start()) for m in COUNTED.finditer(said)]
    for i, (b, thing, at_b) in enumerate(counted):
        for c, other, at_c in counted[i + 1:]:
            if other != thing or b == c:
                continue
            rest = [n for n in nums if n not in (b, c)]
            if len(rest) != 1:
                return None
            if re.search(r"\b(?:per|every|for each)\s+$", said[max(0, at_c - 12):at_c]):  # "6.5 litres per 100 km"
                return f"{rest[0]} * {b} / {c}"
            if at_b < asked_at <= at_c + 40:
                return f"{rest[0]} * {c} / {b}"
    return None


def priced(task: str) -> str | None:
    """Items at a price each, and single items at a price, summed when the task asks for the total ("3 t-shirts
    at 14.99 each plus 2 packs of socks at 4.50 each")."""
    terms = bought(task)
    if not TOTAL.search(task) or not terms or sorted(numbers(task)) != sorted(terms[1]):
        return None  # every number a count or a price
    return terms[0]


def bought(task: str) -> tuple[str, list[str]] | None:
    """Items at a price each and single items at a price, as a sum and the numbers it takes ("3 t-shirts at 14.99
    each plus a cap for 12": ("3 * 14.99 + 12", [3, 14.99, 12])); None when an item has no price."""
    each = EACH.findall(task)
    singles = SINGLE.findall(EACH.sub(" ", task))
    if (not each and not singles
            or re.search(r"\b(?:and|plus|with)\s+(?:a|an|one|some|two|three)\s+[a-z]", SINGLE.sub(" ", EACH.sub(" ", task)))):
        return None
    terms = [f"{n.replace(',', '')} * {p.replace(',', '')}" for n, p in each] + [s.replace(",", "") for s in singles]
    return " + ".join(terms), [n.replace(",", "") for n in [*(n for pair in each for n in pair), *singles]]


def left(task: str) -> str | None:
    """What is left of the largest amount once the others are spent ("income 3200, rent 1150, food 420 ... how
    much is left over": 3200 - 1150 - 420; "bills of $84.60 and $37.25, $150 set aside": 150 - 84.60 - 37.25)."""
    nums = numbers(task)
    if (len(nums) < 3 or not LEFT.search(task) or not ASKS.search(task) or "%" in task
            or re.search(r"\beach\b(?!\s+(?:month|week|day|year)\b)", task, re.I)):  # "each month" is a time
        return None
    start = max(nums, key=float)  # what is had: the income, the money set aside (less would leave a debt)
    rest = list(nums)
    rest.remove(start)
    return " - ".join([start, *rest])


def interest(task: str) -> str | None:
    """Interest on a sum at a yearly rate: simple (P * R / 100 * N, the interest alone when the task says so) or
    compounded once a year (P * (1 + R / 100) ^ N, the amount in the account)."""
    m = INTEREST.search(task)
    if not m or "interest" not in task.lower() or len(numbers(task)) != 3:
        return None
    p, r, n = (g.replace(",", "") for g in m.groups())
    if re.search(r"\bcompound", task, re.IGNORECASE):
        grown = f"{p} * (1 + {r} / 100) ^ {n}"
        return f"{grown} - {p}" if re.search(r"\b(?:how much|what) interest\b|\binterest (?:earned|alone)\b", task, re.I) else grown
    simple = f"{p} * {r} / 100 * {n}"
    with_sum = re.search(r"\b(?:total|in (?:the|my) account|how much will (?:i|it|there) (?:have|be))\b", task, re.I)
    return f"{p} + {simple}" if with_sum and not re.search(r"\bjust the interest|only the interest\b", task, re.I) else simple


def shared(task: str) -> str | None:
    """A total shared in a ratio ("32 students, the ratio of boys to girls is 3:5; how many girls": 32 * 5 / 8)."""
    m = RATIO.search(task)
    nums = [n for n in numbers(task) if n not in (m.group(3), m.group(4))] if m else []
    asked = re.search(r"\bhow many (\w+)", task, re.IGNORECASE)
    if not m or len(nums) != 1 or not asked:
        return None
    first, second, x, y = m.groups()
    want = asked.group(1).lower()
    part = x if want.startswith(first.lower().rstrip("s")) else y if want.startswith(second.lower().rstrip("s")) else None
    return f"{nums[0]} * {part} / ({x} + {y})" if part else None


def one(unit: str) -> str:
    """A unit's singular: "inches" is "inch", "miles" "mile", "km" "km"."""
    u = unit.lower()
    if re.search(r"(?:ch|sh|x|s)es$", u):
        return u[:-2]
    return u[:-1] if u.endswith("s") and not u.endswith("ss") and len(u) > 2 else u


FACTOR = re.compile(rf"\b(?:1|one|an?)\s+([a-z]+)\s*(?:=|is|equals)\s*({NUM})\s*([a-z]+)\b", re.IGNORECASE)  # "one mile is 1.609 km"
MEASURED = re.compile(rf"(?<![\d.])({NUM})[\s-]*([a-z]+)\b", re.IGNORECASE)  # "26.2-mile" is 26.2 miles
WITHIN = {("feet", "inch"): 12, ("foot", "inch"): 12, ("ft", "inch"): 12, ("yard", "foot"): 3, ("yard", "feet"): 3,
          ("yard", "inch"): 36, ("hour", "minute"): 60, ("minute", "second"): 60, ("hour", "second"): 3600}  # of one unit in another
FEET_INCHES = re.compile(r"\b(\d+)\s*(?:feet|foot|ft|')\s*(?:and\s+)?(\d+(?:\.\d+)?)\s*(?:inches|inch|in\b|\")", re.IGNORECASE)


PRICE = re.compile(rf"(?:\$\s*|\b(?:costs?|priced at|for|is)\s+\$?)({NUM})", re.IGNORECASE)
PER_ONE = re.compile(r"\b(?:per|each|a single|one)\s+[a-z]+\b|\bhow much (?:is|does|do|will)\s+(?:each|one)\b|\beach\b[^.?!]*\?", re.IGNORECASE)


def converted(task: str) -> str | None:
    """A measure converted by the factor the task gives ("How many centimeters is 7.5 inches? (1 inch = 2.54 cm)":
    7.5 * 2.54; the other way, a division)."""
    m = FACTOR.search(task)
    if not m:
        return None
    unit, factor, other = one(m.group(1)), m.group(2), one(m.group(3))
    if (tall := FEET_INCHES.search(task)) and len(numbers(task)) == 3 + m.group(0)[0].isdigit():  # "5 feet 9 inches", "1 inch = 2.54 cm"
        ft, inch = tall.groups()
        return f"({ft} * 12 + {inch}) * {factor}" if unit == "inch" else f"({ft} + {inch} / 12) * {factor}" if unit in ("foot", "feet", "ft") else None
    rest = [(n.group(1).replace(",", ""), one(n.group(2))) for n in MEASURED.finditer(task[:m.start()] + " " + task[m.end():])]
    if len(rest) != 1 or len(numbers(task)) != 2 + m.group(0)[0].isdigit():  # the measure, the 1 and the factor
        return None
    n, u = rest[0]
    if u != unit and u != other and (u, unit) in WITHIN:  # "9 feet high? (1 inch = 2.54 cm)": 9 * 12 * 2.54
        return f"{n} * {WITHIN[(u, unit)]} * {factor}"
    return f"{n} * {factor}" if u == unit else f"{n} / {factor}" if u == other else None


def unit_price(task: str) -> str | None:
    """A price for a number of things, asked for one ("A 24-pack of water costs $5.76. How much is that per bottle?":
    5.76 / 24): two numbers, one a price, and a question for each one."""
    nums = numbers(task)
    price = PRICE.search(task)
    question = re.split(r"(?<=[.!])\s+", task.strip())[-1]
    if len(nums) != 2 or not price or not PER_ONE.search(question) or "%" in task or EACH.search(task):
        return None  # "2 pizzas at $12 each": the price is already one's
    count = [n for n in nums if n != price.group(1).replace(",", "")]
    return f"{price.group(1).replace(',', '')} / {count[0]}" if len(count) == 1 else None


DURATION = re.compile(rf"\b({NUM})\s*(?:hours?|hrs?|h)\b(?:\s*(?:and|,)?\s*({NUM})\s*(?:minutes?|mins?))?|\b({NUM})\s*(?:minutes?|mins?)\b",
                      re.IGNORECASE)
DISTANCE = re.compile(rf"\b({NUM})\s*(?:km|kilomet(?:er|re)s?|miles?|mi|met(?:er|re)s?|m)\b", re.IGNORECASE)
ASKS_SPEED = re.compile(r"\b(?:speed|km/h|kph|mph|miles per hour|kilomet(?:er|re)s per hour|per hour|an hour)\b", re.IGNORECASE)


def speed(task: str) -> str | None:
    """A speed from a distance and a time, hours and minutes together ("270 km in 2 hours and 15 minutes ...
    average speed in km/h": 270 / (2 + 15 / 60))."""
    dist, time = DISTANCE.findall(task), DURATION.search(task)
    if len(dist) != 1 or not time or not ASKS_SPEED.search(task) or re.search(r"\bhow (?:long|far)\b", task, re.I):
        return None
    hours, minutes, only_minutes = (g.replace(",", "") if g else None for g in time.groups())
    spent = f"({hours} + {minutes} / 60)" if hours and minutes else hours or f"({only_minutes} / 60)"
    if sorted(numbers(task)) != sorted([dist[0].replace(",", ""), *(g.replace(",", "") for g in time.groups() if g)]):
        return None
    return f"{dist[0].replace(',', '')} / {spent}"


CLOCKED = re.compile(rf"\b({NUM})\s*(h(?:ou)?rs?|h|min(?:ute)?s?|sec(?:ond)?s?)\b", re.IGNORECASE)
PACE = re.compile(r"\b(?:pace|minutes?|mins?)\b[^.?!]{0,20}?\b(?:per|a|an|/|for each|every)\s*(?:km|kilomet(?:er|re)|mile|mi)\b", re.IGNORECASE)


def pace(task: str) -> str | None:
    """Minutes per kilometre or mile, from a distance and a time in hours, minutes and seconds ("5 km in 27
    minutes 30 seconds ... pace in minutes per kilometre": (27 + 30 / 60) / 5)."""
    dist, parts = DISTANCE.findall(task), CLOCKED.findall(task)
    if len(dist) != 1 or not parts or not PACE.search(task):
        return None
    if sorted(numbers(task)) != sorted([dist[0].replace(",", ""), *(n.replace(",", "") for n, _ in parts)]):
        return None
    scale = {"h": " * 60", "m": "", "s": " / 60"}
    minutes = " + ".join(f"{n.replace(',', '')}{scale[u[0].lower()]}" for n, u in parts)
    return f"{minutes if len(parts) == 1 else f'({minutes})'} / {dist[0].replace(',', '')}"


PER = re.compile(r"\b(?:how (?:many|much)|in) ([a-z]+) (?:per|a|an|for each|to the|to a) ([a-z]+)\b", re.IGNORECASE)  # "in minutes per km"


def rate(task: str) -> str | None:
    """How many of one measure per another, from one of each ("312 km on 24 litres of fuel. How many km per
    litre?": 312 / 24)."""
    m, nums = PER.search(task), numbers(task)
    if not m or len(nums) != 2:
        return None
    units = {one(u): n.replace(",", "") for n, u in MEASURED.findall(task[:m.start()] + " " + task[m.end():])}

    def measured_in(unit: str) -> list[str]:  # "km" is the "km" of "312 km", "litre" the "litres" of "24 litres"
        return [n for u, n in units.items() if u.startswith(unit[:3]) or unit.startswith(u)]
    tops, pers = measured_in(one(m.group(1))), measured_in(one(m.group(2)))
    return f"{tops[0]} / {pers[0]}" if len(tops) == 1 and len(pers) == 1 and tops != pers else None


CELSIUS = re.compile(rf"({NUM})\s*(?:°\s*|degrees?\s+)?c(?:elsius|entigrade)?\b", re.IGNORECASE)
FAHRENHEIT = re.compile(rf"({NUM})\s*(?:°\s*|degrees?\s+)?f(?:ahrenheit)?\b", re.IGNORECASE)


def temperature(task: str) -> str | None:
    """One temperature, and a question in the other scale ("bake at 180 °C but my oven is in Fahrenheit":
    180 * 9 / 5 + 32)."""
    if len(numbers(task)) != 1:
        return None
    if (c := CELSIUS.search(task)) and re.search(r"°\s*f\b|\bfahrenheit\b", task, re.IGNORECASE):
        return f"{c.group(1)} * 9 / 5 + 32"
    if (f := FAHRENHEIT.search(task)) and re.search(r"°\s*c\b|\bcelsius\b|\bcentigrade\b", task, re.IGNORECASE):
        return f"({f.group(1)} - 32) * 5 / 9"
    return None


LENGTH = r"(?:m|metres?|meters?|ft|feet|foot|yards?|yd|cm|inches|inch|in)"
AREA = re.compile(rf"({NUM})\s*{LENGTH}?\s*(?:by|x|×)\s*({NUM})\s*{LENGTH}?\b", re.IGNORECASE)
COVERS = re.compile(rf"\bcover(?:s|ing)?\s+(?:about\s+|up to\s+)?({NUM})\s*(?:square|sq\.?)\s*{LENGTH}", re.IGNORECASE)
PER_AREA = re.compile(rf"\$?({NUM})\s*(?:dollars?\s+)?(?:per|a|an|for each|/)\s*(?:square|sq\.?)\s*{LENGTH}", re.IGNORECASE)


def area(task: str) -> str | None:
    """A floor's area, or its cost at a price per square unit ("4.2 m by 3.5 m ... $38 per square metre": 4.2 * 3.5 * 38)."""
    m, price = AREA.search(task), PER_AREA.search(task)
    nums = numbers(task)
    if not m:
        return None
    sides = f"{m.group(1).replace(',', '')} * {m.group(2).replace(',', '')}"
    if price and len(nums) == 3:
        return f"{sides} * {price.group(1).replace(',', '')}"
    if (each := COVERS.search(task)) and len(nums) == 3:  # "boxes that each cover 20 square feet": whole boxes
        return f"ceil({sides} / {each.group(1).replace(',', '')})"
    return sides if len(nums) == 2 and re.search(r"\barea\b|\bsquare (?:m|metres?|meters?|feet|ft|yards?)\b", task, re.I) else None


HOURLY = re.compile(rf"\$?({NUM})\s*(?:an|per|/|a)\s*h(?:ou)?r\b", re.IGNORECASE)
EXTRA = re.compile(r"\b(time[- ]and[- ]a[- ]half|double[- ]time)\b", re.IGNORECASE)
OVER = re.compile(rf"\b(?:over|above|beyond|more than|past)\s+({NUM})\b", re.IGNORECASE)
WORKED = re.compile(rf"\bworked\s+({NUM})\s*(?:hours|hrs|h)\b", re.IGNORECASE)


def overtime(task: str) -> str | None:
    """Pay with overtime ("$22 an hour and time-and-a-half for every hour over 40 ... worked 47 hours": 22 * 40
    + 22 * 1.5 * (47 - 40)), the four parts in any order."""
    rate_, extra, base, worked = HOURLY.search(task), EXTRA.search(task), OVER.search(task), WORKED.search(task)
    if not (rate_ and extra and base and worked) or len(numbers(task)) != 3:
        return None
    r, b, h = rate_.group(1).replace(",", ""), base.group(1), worked.group(1)
    times = "1.5" if "half" in extra.group(1).lower() else "2"
    return f"{r} * {h}" if float(h) <= float(b) else f"{r} * {b} + {r} * {times} * ({h} - {b})"


READINGS = (interest, shared, overtime, converted, temperature, area, priced, scaled, unit_price, pace, speed, rate, left)


def story(task: str) -> str | None:
    """The first reading that takes the task, or None."""
    return next((e for read in READINGS if (e := read(task))), None)
