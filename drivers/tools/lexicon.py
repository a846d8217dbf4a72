"""An English lexicon read from WordNet 3.0's database files (Debian's wordnet-base): senses, plurals, opposites."""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from . import asking
from .asking import STOP, everyday, in_words, number_value, tokens

DEFAULT_DIR = Path(os.environ.get("LLMOS_WORDNET", "/usr/share/wordnet"))
PARTS = ("noun", "verb", "adj", "adv")  # the database's files: data.noun, index.noun, noun.exc, ...
PART_OF = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
OPPOSITES_FIRST = ("adj", "adv", "verb", "noun")  # whose antonym answers "the opposite of X"
SENSES = 2  # senses shown for a word
FOUND = 3  # senses shown for a phrase found in the glosses
NEAR = 0.5  # ... each with at least this share of the best one's score
GLOSS_CHARS = 70  # a gloss is cut to this many characters


class LexiconError(RuntimeError):
    pass


class Sense(NamedTuple):
    """One synset: its words, its gloss and its pointers (symbol, offset, part of speech)."""
    words: tuple[str, ...]
    gloss: str
    pointers: tuple[tuple[str, str, str], ...]
    satellite: bool = False  # an adjective whose "&" pointer is its head ("huge" -> "large"), not its satellites


class Lexicon:
    """WordNet's senses by lemma, its irregular forms both ways, and an index of the words in its glosses,
    loaded once from ``folder`` (about two seconds and 100 MB)."""

    def __init__(self, folder: Path = DEFAULT_DIR):
        self.folder = Path(folder)
        if not (self.folder / "index.noun").is_file():
            raise LexiconError(f"no WordNet database in {self.folder} (install Debian's wordnet-base; "
                               "`make run` and `make test` do where they run as root)")
        self.senses: dict[tuple[str, str], Sense] = {}
        self.lemmas: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.base: dict[str, str] = {}  # an irregular form -> its lemma ("mice" -> "mouse")
        self.plural: dict[str, str] = {}  # a noun -> its irregular plural ("child" -> "children")
        self.verb_forms: dict[str, list[str]] = defaultdict(list)  # a verb -> its irregular forms ("go" -> went, gone)
        try:
            for part in PARTS:
                self._data(part)
                self._index(part)
                self._exceptions(part)
        except (IndexError, ValueError) as exc:
            raise LexiconError(f"{self.folder} does not hold WordNet 3.0's database format ({exc})") from exc
        self.gloss_words: dict[str, set[tuple[str, str]]] = defaultdict(set)  # a word, and its lemma -> senses
        lemmas: dict[str, str | None] = {}
        for key, sense in self.senses.items():
            for w in set(tokens(" ".join(sense.words) + " " + re.sub(r'"[^"]*"', " ", sense.gloss))):  # not its examples
                self.gloss_words[w].add(key)
                base = lemmas[w] if w in lemmas else lemmas.setdefault(w, self.lemma(w))
                for form in {base or w, self.base.get(w, w)} - {w}:  # "frozen" is found by "freezes": both are "freeze"
                    self.gloss_words[form].add(key)

    def _lines(self, name: str) -> list[str]:
        path = self.folder / name
        if not path.is_file():
            return []
        return [ln for ln in path.read_text(encoding="latin-1").splitlines() if ln and not ln.startswith(" ")]

    def _data(self, part: str) -> None:
        for line in self._lines(f"data.{part}"):
            head, _, gloss = line.partition(" | ")
            f = head.split()
            count = int(f[3], 16)
            words = tuple(f[4 + 2 * i].split("(")[0] for i in range(count))
            at = 4 + 2 * count
            ptrs = tuple((f[at + 1 + 4 * i], f[at + 2 + 4 * i], f[at + 3 + 4 * i]) for i in range(int(f[at])))
            self.senses[(part, f[0])] = Sense(words, gloss.strip(), ptrs, f[2] == "s")

    def _index(self, part: str) -> None:
        for line in self._lines(f"index.{part}"):
            f = line.split()
            n = int(f[2])
            self.lemmas[f[0]] += [(part, off) for off in f[-n:] if (part, off) in self.senses]

    def _exceptions(self, part: str) -> None:
        for line in self._lines(f"{part}.exc"):
            form, lemma = line.split()[:2]
            self.base.setdefault(form, lemma)
            if part == "noun":
                self.plural.setdefault(lemma, form)
            if part == "verb":
                self.verb_forms[lemma].append(form)

    def lemma(self, word: str) -> str | None:
        """The dictionary form of ``word``: itself, its irregular base, or a regular inflection taken off."""
        w = word.lower().strip().replace(" ", "_")
        cands = [w, self.base.get(w, "")]
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
            if w.endswith(suffix) and len(w) > len(suffix) + 2:
                cands.append(w[: -len(suffix)] + repl)
        return next((c for c in cands if c and c in self.lemmas), None)

    def plural_of(self, noun: str) -> str:
        if noun in self.plural:
            return self.plural[noun].replace("_", " ")
        if re.search(r"(s|x|z|ch|sh)$", noun):
            return noun + "es"
        if re.search(r"[^aeiou]y$", noun):
            return noun[:-1] + "ies"
        return noun + "s"

    def describe(self, key: tuple[str, str]) -> str:
        sense = self.senses[key]
        words = ", ".join(w.replace("_", " ") for w in sense.words[:3])
        gloss = sense.gloss.split(";")[0].split('"')[0].strip().rstrip(":,")  # the definition, not a quoted example
        if len(gloss) > GLOSS_CHARS:
            gloss = gloss[:GLOSS_CHARS].rsplit(" ", 1)[0] + "..."
        return f"{words} ({key[0]}): {gloss}"

    def opposite(self, key: tuple[str, str], head: bool = False) -> str | None:
        """The antonym of a sense; with ``head``, a satellite adjective's is its head's ("huge" is like
        "large": "small")."""
        ptrs = self.senses[key].pointers
        direct = next((self.senses[(PART_OF.get(p, ""), off)].words[0].replace("_", " ")
                       for sym, off, p in ptrs if sym == "!" and (PART_OF.get(p, ""), off) in self.senses), None)
        if direct or not head:
            return direct
        return next((o for sym, off, _p in ptrs if sym == "&" and self.senses[key].satellite and ("adj", off) in self.senses
                     and (o := self.opposite(("adj", off), head=False))), None)

    def look_up(self, query: str) -> list[str]:
        """Lines about ``query``, a word, a phrase or a question about one.  "plural of mouse" and "the
        opposite of hot" are answered with the word asked for ("mice", "cold"); a word (or an inflected form)
        with its senses, its plural when a noun and its opposite when it has one; anything else with the
        senses whose words and glosses share its rarest words ("What is frozen water called?" finds "ice
        (noun): water frozen in the solid state")."""
        q = " ".join(asking.ASIDE.sub("", query.lower()).strip(" .,;:!?\"'").split())
        asked = asking.RELATION.search(q)
        if asked:
            quoted = asking.QUOTED.search(asked.group(0))
            word = self.lemma((quoted.group(1) if quoted else asked.group(2)).strip(" '\""))
            if word is not None and (answer := self.related(asked.group(1), word)):
                return [answer]
        if spelled := asking.SPELL_NUMBER.search(q):  # "spell the number 40 in words": forty
            return [in_words(int(spelled.group(1) or spelled.group(2)))]
        if backwards := asking.BACKWARDS.search(q):  # "spell the word cat backwards": tac
            return [backwards.group(1)[::-1]]
        counted = asking.COUNT.search(q)
        if counted:  # a count is answered from a gloss that states it, or not at all
            n = self.count_of(counted.group(1), counted.group(2))
            return [n] if n else []
        plain = everyday(q)
        sup = asking.SUPERLATIVE.search(plain)
        ranked = (sup.group(1), sup.group(2)) if sup else (
            (m.group(2), m.group(1)) if (m := asking.RANKED_FIRST.search(plain)) else None)
        if ranked and self.adjective(ranked[0]):  # a superlative is answered from a gloss that says it, or not at all
            return [self.describe(k) for k in self.ranking(*ranked, plain)]
        says = asking.SAYS.search(q)  # the sound's own entry names the animal ("moo: the sound made by a cow or bull")
        if says and (sound := self.lemma(says.group(1))) is not None:
            return self.entry(sound)
        quoted = asking.QUOTED.search(q)  # "what does the word 'enormous' mean": the quoted word's entry
        if quoted and (word := self.lemma(quoted.group(1))) is not None:
            return self.entry(word)
        lemma = self.lemma(re.sub(r"^(?:a|an|the|to)\s+", "", q)) if q else None
        if lemma is not None:
            return self.entry(lemma)
        return [self.describe(k) for k in self.search(everyday(q))]

    def related(self, relation: str, lemma: str) -> str | None:
        """The word ``relation`` of ``lemma`` names: its plural, its opposite, its past tense or participle."""
        if relation == "plural":
            return self.plural_of(lemma) if self.common_noun(lemma) else None
        if relation.startswith("past"):
            return self.past_of(lemma, participle=relation.endswith("participle")) if self.is_a(lemma, "verb") else None
        return self.opposite_of(lemma)

    def is_a(self, lemma: str, part: str) -> bool:
        """Whether the lemma has a sense of that part of speech ("noun", "verb", "adj", "adv")."""
        return any(k[0] == part for k in self.lemmas.get(lemma, []))

    def past_of(self, verb: str, participle: bool = False) -> str:
        """A verb's past tense (or past participle): its irregular form from WordNet's exceptions, telling the
        two apart as English does ("swam" and "swum", "went" and "gone": the participle is the form with u
        for a, or the one in -n); else the regular -ed form."""
        forms = [f for f in self.verb_forms.get(verb, []) if not f.endswith("ing") and f not in ("am", "is", "are", "art")]
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

    def adjective(self, superlative: str) -> bool:
        """Whether a word in -est is an adjective's superlative: "largest", "biggest" (an irregular form), not "forest"."""
        stem = superlative[:-3]
        return any(self.is_a(c, "adj") for c in (self.base.get(superlative, ""), stem, stem + "e", stem[:-1], stem[:-1] + "y") if c)

    def ranking(self, superlative: str, thing: str, question: str) -> list[tuple[str, str]]:
        """The senses with a clause that ranks the thing by the superlative ("Pacific: the largest ocean in the world",
        "Everest: ...; the highest mountain in the world"), not second or third ("the 2nd longest river"), the best
        by search score first; none when no gloss says it."""
        head = re.escape(self.lemma(thing.split()[-1]) or thing.split()[-1])
        says = re.compile(rf"(?<!\d(?:st|nd|rd|th) )(?<!second )(?<!third )\b{superlative}\s+(?:[\w-]+\s+){{0,2}}?{head}(?:e?s)?\b",
                          re.IGNORECASE)  # the thing itself: "organ", not "organism"
        found = {k: m for k in self.gloss_words.get(superlative, set()) if (m := says.search(self.senses[k].gloss))}

        def scope(k: tuple[str, str]) -> int:
            """0: the world's; 1: unqualified; 2: within a place ("the longest river in the United States")."""
            gloss = self.senses[k].gloss
            after, before = gloss[found[k].end():found[k].end() + 40], gloss[max(0, found[k].start() - 10):found[k].start()]
            if "world" in after[:16] or "world" in before:
                return 0
            placed = re.search(r"[A-Z]\w+ $", before) or re.search(r" [A-Z]", found[k].group(0))  # "largest European land bird"
            return 2 if re.match(r"\s+(?:in|of)\s", after) or placed else 1
        best = {k: i for i, k in enumerate(self.search(question))}
        return sorted(found, key=lambda k: (scope(k), best.get(k, len(best)), len(self.senses[k].gloss)))[:FOUND]

    def count_of(self, noun: str, rest: str) -> str | None:
        """How many ``noun`` the thing ``rest`` names has, as a gloss of the thing states it ("spider: predatory
        arachnid with eight legs", "hexagon: a six-sided polygon", "leap year, 366 days"); None when none does."""
        stem = re.escape(noun[:-1] if noun.endswith("s") else noun)
        stem = stem[:-1] if stem.endswith("e") else stem  # "sides": "six-sided"
        said = re.compile(rf"{asking.SAID_NUMBER}[\s_-]+(?:[a-z]+\s+)?{stem}", re.IGNORECASE)  # "seven consecutive days"
        words = [w for w in re.findall(r"[a-z]+", rest) if w not in STOP and w not in asking.NOT_THINGS]
        things = ["_".join(words[i:i + 2]) for i in range(len(words) - 1)] + words  # "leap year" before "year"
        for thing in things:
            lemma = self.lemma(thing)
            for key in self.lemmas.get(lemma or "", [])[:SENSES + 2] if lemma else []:
                sense = self.senses[key]
                if m := said.search(" ".join(sense.words) + " " + sense.gloss.split(";")[0]):  # not its examples
                    return str(number_value(m.group(1)))
        return None

    def entry(self, lemma: str) -> list[str]:
        keys = self.lemmas[lemma]
        firsts: dict[str, tuple[str, str]] = {}  # each part of speech's first sense, in the index's order
        for key in keys:
            firsts.setdefault(key[0], key)
        first = list(firsts.values())
        lines = [self.describe(k) for k in (keys[:SENSES] if len(first) == 1 else first[:SENSES + 1])]
        name = lemma.replace("_", " ")
        if self.common_noun(lemma):
            lines.append(f"plural of {name}: {self.plural_of(lemma)}")
        opposite = self.opposite_of(lemma)
        if opposite:
            lines.append(f"opposite of {name}: {opposite}")
        return lines

    def common_noun(self, lemma: str) -> bool:
        """A noun written in lower case in one of its senses ("mouse"; not "Rome")."""
        return "_" not in lemma and any(lemma in self.senses[k].words for k in self.lemmas.get(lemma, []) if k[0] == "noun")

    def opposite_of(self, lemma: str) -> str | None:
        """The antonym of the word's first sense that has one, an adjective's first ("full" is "empty",
        not the verb's "wane"), then an adverb's, a verb's, a noun's; failing all of them, the antonym of
        the first satellite adjective's head ("huge" is "small")."""
        keys = sorted(self.lemmas.get(lemma, []), key=lambda k: OPPOSITES_FIRST.index(k[0]))
        return next((o for head in (False, True) for k in keys if (o := self.opposite(k, head))), None)

    def idf(self, found: set[tuple[str, str]]) -> float:
        """How rare a word is: the log of how many senses there are over how many it is found in."""
        return math.log(len(self.senses) / max(1, len(found)))

    def search(self, text: str) -> list[tuple[str, str]]:
        """The senses that share the rarest words of ``text`` (in any form: "freezes" finds "frozen"), the best first:
        a word of the text that is one of the sense's own words counts half again, a run of two or three that is one
        (``capital of Italy``) thrice; of equals, the shorter first gloss (it is more about them); those under half the
        best's score are left out.  A question for a name ("what do we call", "the word for") finds nouns only."""
        scores: dict[tuple[str, str], float] = defaultdict(float)
        for w in set(tokens(text)):
            base = self.lemma(w)
            found = self.gloss_words.get(base or w) or self.gloss_words.get(w, set())
            weight = self.idf(found)
            for key in found:
                own = w in self.senses[key].words or base in self.senses[key].words
                scores[key] += weight * (1.5 if own else 1)
        plain = text.lower().split()
        for n in (2, 3):
            for i in range(len(plain) - n + 1):
                run = "_".join(re.sub(r"[^\w'-]", "", x) for x in plain[i:i + n])
                if len(tokens(run)) < 2:
                    continue  # a phrasal verb ("live on") is one word and a particle, not a name
                for key in self.lemmas.get(run, []):
                    scores[key] += 3 * sum(self.idf(self.gloss_words.get(w, set())) for w in tokens(run))
        if asking.NAMING.search(text) and any(k[0] == "noun" for k in scores):  # "what do we call ...": a name is a noun
            scores = defaultdict(float, {k: v for k, v in scores.items() if k[0] == "noun"})
        best = sorted(scores, key=lambda k: (-round(scores[k], 6), len(self.senses[k].gloss.split(";")[0])))
        # only the senses near the best: "capital of France" is Paris, not Paris, Lille and Vichy
        return [k for k in best[:FOUND] if scores[k] >= NEAR * scores[best[0]]]
