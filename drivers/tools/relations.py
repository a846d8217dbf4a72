"""A word's relations in WordNet (drivers/tools/wordnet.py): its plural, past tense, opposites and synonyms, the
count a gloss states of a thing, the thing a gloss ranks first, and the name of an animal's young."""
from __future__ import annotations

import re

from . import asking
from .asking import STOP, number_value
from .wordnet import FOUND, NEAR, Key, WordNet

OPPOSITES_FIRST = ("adj", "adv", "verb", "noun")  # whose antonym answers "the opposite of X"
SENSES = 2  # senses of a thing read for a count


def plural_of(wn: WordNet, noun: str) -> str:
    if noun in wn.plural:
        return wn.plural[noun].replace("_", " ")
    if re.search(r"(s|x|z|ch|sh)$", noun):
        return noun + "es"
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    return noun + "s"


def opposite(wn: WordNet, key: Key) -> str | None:
    """The antonym of a sense."""
    return next((wn.senses[k].words[0].replace("_", " ") for k in wn.pointed(key, "!")), None)


def opposite_of(wn: WordNet, lemma: str) -> str | None:
    """The antonym of the word's first sense that has one, an adjective's first ("full" is "empty",
    not the verb's "wane"), then an adverb's, a verb's, a noun's; failing all of them, the opposites of
    its satellite adjectives' heads (``heads_opposites``: "huge" is "small")."""
    keys = sorted(wn.lemmas.get(lemma, []), key=lambda k: OPPOSITES_FIRST.index(k[0]))
    own = next((o for k in keys if (o := opposite(wn, k))), None)
    return own or ", ".join(heads_opposites(wn, keys)[:2]) or None


def heads_opposites(wn: WordNet, keys: list[Key]) -> list[str]:
    """The antonyms of the heads of a word's satellite senses, and of the other senses of those heads' words,
    the commoner first by WordNet's tag counts: "ancient" is like "past" and like "old" (a person's age), and
    "old" is also "not new": new, young, present."""
    found: dict[str, int] = {}
    for k in keys:
        if k[0] != "adj" or not wn.senses[k].satellite:
            continue
        for head in wn.pointed(k, "&"):
            word = wn.senses[head].words[0].lower()
            for sense in [head, *(h for h in wn.lemmas.get(word, []) if h[0] == "adj" and not wn.senses[h].satellite)]:
                for a in wn.pointed(sense, "!"):
                    name = wn.senses[a].words[0].replace("_", " ")
                    found[name] = max(found.get(name, 0), wn.used.get((name.lower(), a), 0))
    return sorted(found, key=lambda w: -found[w])


def past_of(wn: WordNet, verb: str, participle: bool = False) -> str:
    """A verb's past tense (or past participle): its irregular form from WordNet's exceptions, telling the
    two apart as English does ("swam" and "swum", "went" and "gone": the participle is the form with u
    for a, or the one in -n); else the regular -ed form."""
    forms = [f for f in wn.verb_forms.get(verb, []) if not f.endswith("ing") and f not in ("am", "is", "are", "art")]
    with_u = {f: g for f in forms for g in forms if g != f and f == g.replace("a", "u", 1)}  # sung: sang
    parts = [f for f in forms if f in with_u or (len(forms) > 1 and f not in with_u.values() and re.search(r"(?:n|ne)$", f))]
    pasts = [f for f in forms if f not in parts]
    pick = (parts or pasts) if participle else (pasts or parts)
    if pick:
        return pick[0].replace("_", " ")
    if verb.endswith("e"):
        return verb + "d"
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ied"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb):
        return verb + verb[-1] + "ed"  # one syllable, one vowel before one consonant: "stop", "stopped"
    return verb + "ed"


def adjective(wn: WordNet, superlative: str) -> bool:
    """Whether a word in -est is an adjective's superlative: "largest", "biggest" (an irregular form), not "forest"."""
    stem = superlative[:-3]
    return any(wn.is_a(c, "adj") for c in (wn.base.get(superlative, ""), stem, stem + "e", stem[:-1], stem[:-1] + "y") if c)


def ranking(wn: WordNet, superlative: str, thing: str, question: str) -> list[Key]:
    """The senses with a clause that ranks the thing by the superlative ("Pacific: the largest ocean in the world",
    "Everest: ...; the highest mountain in the world"), not second or third ("the 2nd longest river"), the best
    by search score first; none when no gloss says it."""
    head = re.escape(wn.lemma(thing.split()[-1]) or thing.split()[-1])
    sups = [superlative, *like_superlatives(wn, superlative)]
    says = re.compile(rf"(?<!\d(?:st|nd|rd|th) )(?<!second )(?<!third )\b(?:{'|'.join(sups)})\s+(?:[\w-]+\s+){{0,2}}?{head}(?:e?s)?\b",
                      re.IGNORECASE)  # the thing itself: "organ", not "organism"
    said = {k for s in sups for k in wn.gloss_words.get(s, set()) | wn.said_superlatives.get(s, set())}
    found = {k: m for k in said if (m := says.search(wn.senses[k].gloss))}

    def scope(k: Key) -> int:
        """0: the world's; 1: unqualified; 2: within a place ("the longest river in the United States")."""
        gloss = wn.senses[k].gloss
        after, before = gloss[found[k].end():found[k].end() + 40], gloss[max(0, found[k].start() - 10):found[k].start()]
        if "world" in after[:16] or "world" in before:
            return 0
        placed = re.search(r"[A-Z]\w+ $", before) or re.search(r" [A-Z]", found[k].group(0))  # "largest European land bird"
        return 2 if re.match(r"\s+(?:in|of)\s", after) or placed else 1
    placed = re.search(rf"\b{re.escape(thing)}\s+(?:in|on|of)\s+(?:the\s+|our\s+)?([a-z][a-z ]*)", question)
    where = [w for w in asking.tokens(placed.group(1)) if w not in EVERYWHERE] if placed else []
    if where:  # "the longest river in South America": a sense whose gloss is of that place
        named = any(w[:1].isupper() for k in wn.lemmas.get("_".join(where), []) for w in wn.senses[k].words)
        place = re.compile(r"\s+".join(rf"\b{w[:5]}\w*" for w in where) if named else "|".join(rf"\b{w[:5]}" for w in where), re.I)
        found = {k: m for k, m in found.items() if place.search(" ".join(wn.senses[k].words) + " " + wn.senses[k].gloss)}
    best = {k: i for i, k in enumerate(wn.search(question))}
    return sorted(found, key=lambda k: (scope(k), best.get(k, len(best)), len(wn.senses[k].gloss)))[:FOUND]


EVERYWHERE = frozenset("world earth universe planet solar system galaxy history existence nature alive today ever known".split())


def like_superlatives(wn: WordNet, superlative: str) -> list[str]:
    """The superlatives of the other names of the adjective's commonest sense that some gloss uses ("biggest":
    largest, from "large, big")."""
    stem = superlative[:-3]
    base = next((c for c in (wn.base.get(superlative, ""), stem, stem + "e", stem[:-1], stem[:-1] + "y") if c and wn.is_a(c, "adj")), "")
    top = wn.commonest(base, "adj") if base else None
    near = [top, *wn.pointed(top, "&")] if top else []  # "tall" is like "high"
    others = list(dict.fromkeys(w.lower() for k in near for w in wn.senses[k].words if "_" not in w and w.lower() != base))
    forms = [next((f for f, lemma in wn.base.items() if lemma == w and f.endswith("est")), "")
             or (w + "st" if w.endswith("e") else w[:-1] + "iest" if w.endswith("y") else w + "est") for w in others]
    return [f for f in forms if f in wn.gloss_words or f in wn.said_superlatives]


def sound_of(wn: WordNet, animal: str) -> list[Key]:
    """The sounds an animal makes: nouns whose gloss is a sound or cry of it, or of what it is a kind of ("bray:
    the cry of an ass", for a donkey), those of the animal itself first."""
    own = wn.lemmas.get(wn.lemma(animal) or animal, [])
    ups = [up for k in own for up in wn.pointed(k, "@")]

    def named(keys: list[Key]) -> str:
        return "|".join(sorted({re.escape(w.lower().replace("_", " ")) for k in keys for w in wn.senses[k].words}, key=len, reverse=True))

    found: list[Key] = []
    for names in (named(own), named(ups)):
        if not names:
            continue
        cry = re.compile(rf"^(?:the\s+)?((?:\w+\s+){{0,2}}?)(?:sounds?|cry|cries|noise|call)\b[^;]*?\b(?:of|by)\s+(?:an?\s+|the\s+)?"
                         rf"(?:male\s+|female\s+|young\s+)?(?:{names})(?:e?s)?\b", re.IGNORECASE)
        cands = {k for w in ("sound", "cry", "noise", "call") for k in wn.gloss_words.get(w, set()) if k[0] == "noun"}
        said = {k: m for k in cands if k not in found and (m := cry.search(wn.senses[k].gloss))}
        found += sorted(said, key=lambda k: (len(said[k].group(1)), len(wn.senses[k].gloss), k))  # "the sound", then "the yowling sound"
        if found:
            break
    return found[:FOUND]


def count_of(wn: WordNet, noun: str, rest: str) -> str | None:
    """How many ``noun`` the thing ``rest`` names has, as a gloss of the thing states it ("spider: predatory
    arachnid with eight legs", "hexagon: a six-sided polygon", "leap year, 366 days"); None when none does."""
    stem = re.escape(noun[:-1] if noun.endswith("s") else noun)
    stem = stem[:-1] if stem.endswith("e") else stem  # "sides": "six-sided"
    said = re.compile(rf"{asking.SAID_NUMBER}[\s_-]+(?:[a-z]+\s+)?{stem}", re.IGNORECASE)  # "seven consecutive days"
    words = [w for w in re.findall(r"[a-z]+", rest) if w not in STOP and w not in asking.NOT_THINGS]
    things = ["_".join(words[i:i + 2]) for i in range(len(words) - 1)] + words  # "leap year" before "year"
    for thing in things:
        lemma = wn.lemma(thing)
        for key in wn.lemmas.get(lemma or "", [])[:SENSES + 2] if lemma else []:
            sense = wn.senses[key]
            if m := said.search(" ".join(sense.words) + " " + sense.gloss.split(";")[0]):  # not its examples
                return str(number_value(m.group(1)))
    return None



def synonyms_of(wn: WordNet, lemma: str, initial: str = "", most: int = 8) -> list[str]:
    """Words that mean what ``lemma`` means, the likeliest first: its first sense's other words, the words that
    sense points to by "see also" ("happy": cheerful, glad, joyful) and by "similar" (a head adjective's
    satellites; a satellite's head and the head's other satellites: "enormous": large, huge, vast), then its
    other senses' words, the commoner in its sense first.  The first sense is the commonest part of speech's.  With ``initial``, only the words that start with it."""
    keys = wn.lemmas.get(lemma, [])
    if not keys:
        return []
    firsts = list({k[0]: k for k in reversed(keys)}.values())  # each part of speech's first sense
    first = max(firsts, key=lambda k: wn.used.get((lemma, k), 0))  # the commonest of them: "cold" the adjective
    near = [first, *wn.pointed(first, "^"), *wn.pointed(first, "&")]
    if wn.senses[first].satellite:  # "enormous" is like "large": so are the other satellites of "large"
        near += [s for head in wn.pointed(first, "&") for s in wn.pointed(head, "&")]
    own = sorted(wn.senses[first].words, key=lambda w: -wn.used.get((w.lower(), first), 0))  # "start" before "set out"
    rest = [(w, key) for key in [*near[1:], *(k for k in keys if k != first)] for w in wn.senses[key].words]
    rest.sort(key=lambda wk: -wn.used.get(wk, 0))  # the commoner in its sense first: "huge" before "ample"
    found = {w.replace("_", " "): None for w in [*own, *(w for w, _k in rest)]
             if w.lower() != lemma and w.startswith(initial) and not w[:1].isupper()}
    return list(found)[:most]


YOUNG = ("noun", "01321579"), ("noun", "02311060")  # young, offspring: "any immature animal"; larva


def young_of(wn: WordNet, animal: str) -> list[Key]:
    """The names of ``animal``'s young: nouns under "young" or "larva" (within three hypernyms) whose gloss names
    the animal ("kitten: young domestic cat", "tadpole: a larval frog or toad"), the shortest gloss first."""
    lemma = wn.lemma(animal) or animal

    def young(key: Key, hops: int = 3) -> bool:
        return key in YOUNG or (hops > 0 and any(young(up, hops - 1) for up in wn.pointed(key, "@")))
    found = [k for k in wn.gloss_words.get(lemma, set()) if k[0] == "noun" and lemma not in wn.senses[k].words and young(k)]
    return sorted(found, key=lambda k: (len(wn.senses[k].gloss.split(";")[0]), k))[:FOUND]


KIND_HOPS = 12  # hypernyms climbed to find a sense's kind (a lion is an animal eight up)
# where a gloss's head ends: "a heavy odorless colorless gas | formed during respiration", "imaginary people | who live"
HEAD_END = re.compile(r"\b(?:who|that|which|whose|where|when|for|from|to|by|with|in|on|at|of|between|as|and|or|"
                      r"formed|made|used|having|containing|located|found)\b|[,;(]")
KIND_SEARCHED = 3  # the best senses a question finds, read for a word of the kind it asks
KIND_SHARE = 0.4  # a sense of the kind scores at least this share of the best sense the question finds


def kinds(wn: WordNet, noun: str) -> set[Key]:
    """The commonest sense a noun names: what "which planet" asks for one of."""
    top = wn.commonest(wn.lemma(noun) or noun, "noun")
    return {top} if top else set()


def of_kind(wn: WordNet, key: Key, kind: set[Key]) -> bool:
    """Whether a sense is one of ``kind``: a hypernym within KIND_HOPS (Mercury, a planet; lion, an animal), or a
    gloss whose head names it ("carbon dioxide: a heavy odorless colorless gas", "green: of the color between ...")."""
    gloss = re.sub(r"^\(.*?\)\s*|^of (?:the|a|an)\s+", "", wn.senses[key].gloss.split(";")[0])
    head = asking.tokens(HEAD_END.split(gloss, maxsplit=1)[0])
    names = {w.lower() for k in kind for w in wn.senses[k].words}
    if any(w in names or wn.lemma(w) in names for w in head):
        return True
    seen, level = {key}, [key]
    for _ in range(KIND_HOPS):
        level = [up for k in level for up in wn.pointed(k, "@", "@i") if up not in seen]
        if kind.intersection(level):
            return True
        seen.update(level)
    return False


def typed(wn: WordNet, noun: str, question: str, scores: dict[Key, float]) -> list[str]:
    """The answer to "which <noun> ...": the senses the question finds (``scores``) that are of that kind ("which
    planet is closest to the sun": Mercury), and the words of that kind in the glosses of the best it finds ("what
    colour is a ripe banana": banana, "... yellow fruit": yellow), the best first.  Nothing the question
    says, and nothing at all when nothing found is of the kind: the question is then not the dictionary's."""
    kind = kinds(wn, noun)
    if not kind:
        return []
    said = {wn.lemma(w) or w for w in asking.tokens(question)}
    order = sorted(scores, key=lambda k: (-round(scores[k], 6), len(wn.senses[k].gloss), k))
    top = scores[order[0]] if order else 0.0
    found: list[tuple[float, str]] = [(scores[k], wn.describe(k)) for k in order if k not in kind and of_kind(wn, k, kind)
                                      and (wn.lemma(wn.senses[k].words[0]) or "") not in said][:FOUND]
    found = [f for f in found if f[0] >= KIND_SHARE * top]  # the question found it, not only a common word of it
    for key in order[:KIND_SEARCHED]:  # a word of the kind in the gloss of a thing the question names
        for w in asking.tokens(wn.senses[key].gloss.split(";")[0]):
            base = wn.lemma(w) or w
            if base not in said and any(of_kind(wn, k, kind) for k in kinds(wn, base) - kind):
                found.append((scores[key], f"{w}: as in {wn.name(key)}"))  # the thing alone: its other names would be answers too
    found.sort(key=lambda f: -round(f[0], 6))  # stable: of equals, a sense of the kind first
    best = found[0][0] if found else 0.0
    return list(dict.fromkeys(line for score, line in found if score >= NEAR * best))[:FOUND]
