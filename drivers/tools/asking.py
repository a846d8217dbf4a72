"""How a question names what it asks the lexicon (drivers/tools/lexicon.py): the phrasings it reads, the
words it ignores, everyday words as WordNet says them, and numbers in words."""
from __future__ import annotations

import re

# words too common to find a sense by (the question around the word looked up)
STOP = frozenset("a an the of to in on at by for from with and or as is are was were be been it its this that "
                 "what which who whom how do does did you your we our they their called call name word say says said".split())
# "the plural of mouse", "opposite of 'hot'", "antonym of up"
RELATION = re.compile(r"\b(plural|opposite|antonym|past tense|past participle)\s+(?:form\s+)?of\s+(?:the\s+)?"
                      r"(?:word\s+|adjective\s+|noun\s+|verb\s+)?([\w'\" -]{1,40})$")
COUNT = re.compile(r"\bhow many ([a-z]+)\b(.*)$")  # "how many legs does a spider have"
NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                           "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
# a number in digits or words ("eight", "twenty-four"), not the end of a longer one
SAID_NUMBER = (rf"(?<![\w-])(\d+|(?:{'|'.join(TENS)})(?:[-_ ](?:{'|'.join(list(NUMBER_WORDS)[1:10])}))?"
               rf"|{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})")


def number_value(text: str) -> int:
    """The value of a number SAID_NUMBER matched: "8", "eight", "twenty-four"."""
    if text.isdigit():
        return int(text)
    head, unit = (re.split(r"[-_ ]", text.lower(), maxsplit=1) + [""])[:2]
    return TENS.get(head, NUMBER_WORDS.get(head, 0)) + NUMBER_WORDS.get(unit, 0)


NOT_THINGS = frozenset("many much there have has had got contain contains hold holds normal normally usually "
                       "typical typically regular standard just give number digits digit reply answer please".split())
# "the largest ocean in the world", "the world's longest river": a superlative and the thing it ranks
SUPERLATIVE = re.compile(r"\b(?:the|world's)\s+([a-z]+est)\s+((?:[a-z]+\s+){0,2}?[a-z]+)"
                         r"(?=\s+(?:in|on|of|that|ever|living|alive|known|existing|today)\b|\s*$)")  # "the largest animal living on earth"
RANKED_FIRST = re.compile(r"\b(?:which|what)\s+((?:[a-z]+\s+){0,2}?[a-z]+)\s+(?:is|are|was)\s+the\s+([a-z]+est)\b")  # "which ocean is the biggest"
SPELL_NUMBER = re.compile(r"\bspell\s+out\s+(?:the\s+number\s+)?(\d{1,9})\b|\b(?:spell|write)\b.{0,20}?\b(\d{1,9})\b.{0,12}\b(?:words|letters)\b")
BACKWARDS = re.compile(r"\b(?:spell|write)\s+(?:the\s+word\s+)?['\"]?([a-z]+)['\"]?\s+(?:backwards?|in reverse|reversed)\b")
SAYS = re.compile(r"\b(?:which|what)\s+(?:[a-z]+\s+)?animal\s+(?:says|makes|goes)\s+(?:(?:a|an|the)\s+)?['\"]?([a-z]+)")  # "which farm animal says moo"
SOUND = re.compile(r"\bwhat (?:sound|noise|call|cry)s? (?:does|do|would|will|can) (?:an?\s+|the\s+)?([a-z]+) make\b|\bwhat does "
                   r"(?:an?\s+|the\s+)?([a-z]+) say\b|\b(?:sound|noise|cry) (?:of|made by|that) (?:an?\s+|the\s+)?([a-z]+)")  # a donkey's: bray
NAMING = re.compile(r"\b(?:call|called|name for|word for|term for)\b", re.IGNORECASE)
ASIDE = re.compile(r"\s*\([^)]*\)")  # "the plural of 'mouse' (the animal)": the aside is not the word
# "a synonym for 'happy'", "another word for big", "a word that means the same as fast"; "that starts with h"
SYNONYM = re.compile(r"\b(?:synonyms?|another word(?! that means the opposite)(?: that means)?|other words?|a word that means the same(?: thing)? as|"
                     r"similar word to)\s+"
                     r"(?:for|of|to)?\s*(?:the\s+)?(?:word\s+)?(?!another\b|other\b)['\"‘“]?([a-z][a-z-]*)")
INITIAL = re.compile(r"\b(?:starts?|starting|begins?|beginning)\s+with\s+(?:the\s+letter\s+|an?\s+|the\s+)?['\"‘“]?([a-z])\b")
YOUNG = re.compile(r"\b(?:young\s+of|young)\s+(?:an?\s+|the\s+)?([a-z]+)\b")  # everyday(): "a baby frog" is "a young frog"
# the word whose meaning is asked: "what does enormous mean", "the meaning of bliss", "define X",
# "what does it mean if an animal is nocturnal"
MEANS = re.compile(r"\b(?:is|are)\s+(?:described|called|said to be|known)\s+as\s+(?:an?\s+)?['\"‘“]?([a-z-]+)['\"’”]?\s*,?\s*what does (?:that|it|this) mean\b|"
                   r"\bwhat does (?!it\b)(?:the word\s+)?['\"‘“]?([a-z-]+)['\"’”]?\s+mean\b|\b(?:meaning|definition) of (?:the word\s+)?"
                   r"['\"‘“]?([a-z-]+)|^define\s+(?:the word\s+)?['\"‘“]?([a-z-]+)|\bwhat does it mean (?:if|when|that|to be)\b"
                   r".*?\b(?:is|are|be|being)(?:\s+(?:described|called|said to be|known))?(?:\s+as)?\s+(?:an?\s+|very\s+)?['\"‘“]?([a-z-]+)['\"’”]?\s*$")
# "which planet is closest to the sun", "what colour do you get if ...": the kind of thing the answer is
# "what type of tall, towering cloud usually brings ...": the kind, after the words that qualify it (group 1)
NOT_QUALIFIERS = r"(?:in|on|at|of|for|to|from|with|by|the|an?)\b"
TYPED = re.compile(rf"\b(?:which|what)\s+(?:(?:kind|type|sort)\s+of\s+)?(?!is\b|are\b|was\b|were\b|do\b|does\b|did\b|can\b)"
                   rf"((?:(?!{NOT_QUALIFIERS})[a-z-]+,?\s+){{0,3}}?)(?!{NOT_QUALIFIERS})([a-z]+)\s+(?:(?:usually|often|always|typically|normally|generally)\s+)?"
                   r"(?:is|are|was|were|do|does|did|has|have|can|could|will|would|should|[a-z]+s)\b")
# "Egypt is mostly located on which continent?": the kind asked for last
TYPED_LAST = re.compile(r"\b(?:in|on)\s+(?:which|what)\s+([a-z]+)\s*[?.!]*\s*$")
QUOTED = re.compile(r"[\"'‘’“”]([\w -]{1,40})[\"'‘’“”]")  # a word the question quotes is the word asked about


SCALES = {"hundred": 100, "thousand": 1000, "million": 10 ** 6}
_WORD = rf"(?:{'|'.join([*sorted(NUMBER_WORDS, key=len, reverse=True), *TENS, *SCALES])})"
SPOKEN = re.compile(rf"\b{_WORD}(?:(?:[\s-]+|\s+and\s+){_WORD})*\b", re.IGNORECASE)


def in_digits(text: str) -> str:
    """The numbers a text says in words written in digits: "seven hundred twelve minus three hundred eighty-nine"
    is "712 minus 389", "one thousand two hundred" 1200, "one mile" "1 mile".  A lone "one" not before a
    word ("which one?", "one of them") stays a word."""
    def digits(m: re.Match[str]) -> str:
        words = [w for w in re.split(r"[\s-]+", m.group(0).lower()) if w != "and"]
        after = re.match(r"\s+([a-z]+)", text[m.end():], re.I)
        if words == ["one"] and (not after or after.group(1).lower() in STOP | {"another", "more", "day", "way"}):
            return m.group(0)  # "which one is", "one of them", "one day"
        total = current = 0
        for w in words:
            if w in SCALES and w != "hundred":
                total, current = total + max(current, 1) * SCALES[w], 0
            elif w == "hundred":
                current = max(current, 1) * 100
            else:
                current += TENS.get(w, NUMBER_WORDS.get(w, 0))
        return str(total + current)
    return SPOKEN.sub(digits, text)


def in_words(n: int) -> str:
    """A whole number as English words: 40 is "forty", 1234 "one thousand two hundred thirty-four"."""
    units = [w for w in NUMBER_WORDS]  # zero ... nineteen
    tens = {v: w for w, v in TENS.items()}
    if n < 20:
        return units[n]
    if n < 100:
        return tens[n - n % 10] + (f"-{units[n % 10]}" if n % 10 else "")
    if n < 1000:
        return f"{units[n // 100]} hundred" + (f" {in_words(n % 100)}" if n % 100 else "")
    for size, name in ((10 ** 6, "million"), (1000, "thousand")):
        if n >= size:
            return f"{in_words(n // size)} {name}" + (f" {in_words(n % size)}" if n % size else "")
    return str(n)


def everyday(text: str) -> str:
    """Everyday words as WordNet's glosses say them: "a baby cat" is a "young" one (kitten: "young domestic
    cat"), "the biggest planet" the "largest" (Jupiter: "the largest planet"); words that only hedge or place
    ("mostly", "located") are left out."""
    text = re.sub(r"\bbab(?:y|ies)\s+(?=[a-z])(?!(?:called|is|are)\b)", "young ", text)
    text = re.sub(r"\b(?:mostly|mainly|largely|chiefly|primarily|located|situated)\b", " ", text)  # "which continent is Egypt mostly located on"
    return re.sub(r"\bbiggest\b", "largest", text)


def tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]{2,}", text.lower().replace("_", " ")) if w not in STOP]  # not the s of "what's"
