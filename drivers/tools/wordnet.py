"""WordNet 3.0's database files (Debian's wordnet-base) in memory: senses and their pointers by lemma, irregular
forms both ways, and an index of the words of the glosses, searched by their rarest words."""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from . import asking
from .asking import tokens

DEFAULT_DIR = Path(os.environ.get("LLMOS_WORDNET", "/usr/share/wordnet"))
PARTS = ("noun", "verb", "adj", "adv")  # the database's files: data.noun, index.noun, noun.exc, ...
PART_OF = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
SENSE_KEY_PART = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}  # a sense key's ss_type
FOUND = 3  # senses shown for a phrase found in the glosses
NEAR = 0.5  # ... each with at least this share of the best one's score
ALIKE = 0.5  # a word of the same sense as the text's counts this share of its weight in a search
GLOSS_CHARS = 70  # a gloss is cut to this many characters

BINOMIAL = re.compile(r"^[A-Z][a-z]+_[a-z]+(?:us|a|um|is|ae|i|o|x|s)$")  # a species in Latin, "Panthera_leo"; not "French_capital"
Key = tuple[str, str]  # a sense: its part of speech and its offset in that part's data file


class LexiconError(RuntimeError):
    pass


class Sense(NamedTuple):
    """One synset: its words, its gloss and its pointers (symbol, offset, part of speech)."""
    words: tuple[str, ...]
    gloss: str
    pointers: tuple[tuple[str, str, str], ...]
    satellite: bool = False  # an adjective whose "&" pointer is its head ("huge" -> "large"), not its satellites


class WordNet:
    """WordNet's senses by lemma, its irregular forms both ways, and an index of the words in its glosses,
    loaded once from ``folder`` (about two seconds and 100 MB)."""

    def __init__(self, folder: Path = DEFAULT_DIR):
        self.folder = Path(folder)
        if not (self.folder / "index.noun").is_file():
            raise LexiconError(f"no WordNet database in {self.folder} (install Debian's wordnet-base; "
                               "`make run` and `make test` do where they run as root)")
        self.senses: dict[Key, Sense] = {}
        self.lemmas: dict[str, list[Key]] = defaultdict(list)
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
        self.used: dict[tuple[str, Key], int] = {}  # how often a word was tagged in a sense in WordNet's corpus
        for line in self._lines("cntlist.rev"):  # "big%3:00:01:: 1 107": the word, its part, its sense's number, a count
            sense_key, number, count = (line.split() + ["", "", ""])[:3]
            word, _, rest = sense_key.partition("%")
            part = SENSE_KEY_PART.get(rest[:1], "")
            keys = [k for k in self.lemmas.get(word, []) if k[0] == part]
            if number.isdigit() and count.isdigit() and 0 < int(number) <= len(keys):
                self.used[(word, keys[int(number) - 1])] = int(count)
        self.gloss_words: dict[str, set[Key]] = defaultdict(set)  # a word, and its lemma -> senses
        self.said_superlatives: dict[str, set[Key]] = defaultdict(set)  # "largest" in an example: "your skin is the largest organ"
        lemmas: dict[str, str | None] = {}
        for key, sense in self.senses.items():
            for w in re.findall(r'"[^"]*\b([a-z]+est)\b', sense.gloss):
                self.said_superlatives[w].add(key)
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

    def describe(self, key: Key) -> str:
        sense = self.senses[key]
        plain = [w for w in sense.words if not BINOMIAL.match(w)] or list(sense.words)  # "blue whale", not "Balaenoptera musculus"
        words = ", ".join(w.replace("_", " ") for w in plain[:3])
        gloss = sense.gloss.split(";")[0].split('"')[0].strip().rstrip(":,")  # the definition, not a quoted example
        if len(gloss) > GLOSS_CHARS:
            gloss = gloss[:GLOSS_CHARS].rsplit(" ", 1)[0] + "..."
        return f"{words} ({key[0]}): {gloss}"

    def is_a(self, lemma: str, part: str) -> bool:
        """Whether the lemma has a sense of that part of speech ("noun", "verb", "adj", "adv")."""
        return any(k[0] == part for k in self.lemmas.get(lemma, []))

    def common_noun(self, lemma: str) -> bool:
        """A noun written in lower case in one of its senses ("mouse"; not "Rome")."""
        return "_" not in lemma and any(lemma in self.senses[k].words for k in self.lemmas.get(lemma, []) if k[0] == "noun")

    def pointed(self, key: Key, *symbols: str) -> list[Key]:
        """The senses ``key`` points to by ``symbols`` ("!" antonym, "&" similar, "^" see also, "@" hypernym,
        "@i" the class of an instance: Mercury is a planet)."""
        found = [(PART_OF.get(p, ""), off) for sym, off, p in self.senses[key].pointers if sym in symbols]
        return [k for k in found if k in self.senses]

    def name(self, key: Key) -> str:
        """A sense's first word, as written ("carbon dioxide")."""
        return self.senses[key].words[0].replace("_", " ")

    def commonest(self, lemma: str, part: str = "") -> Key | None:
        """The lemma's sense (of ``part``, when given) most often tagged in WordNet's corpus; of equals, the first."""
        keys = [k for k in self.lemmas.get(lemma, []) if not part or k[0] == part]
        return max(keys, key=lambda k: self.used.get((lemma, k), 0)) if keys else None

    def alike(self, lemma: str) -> set[str]:
        """The other one-word names of a lemma's commonest sense ("closest": nearest; "take in": absorb)."""
        top = self.commonest(lemma)
        return {w.lower() for w in self.senses[top].words if "_" not in w and w.lower() != lemma} if top else set()

    def idf(self, found: set[Key]) -> float:
        """How rare a word is: the log of how many senses there are over how many it is found in."""
        return math.log(len(self.senses) / max(1, len(found)))

    def search(self, text: str) -> list[Key]:
        """The senses that share the rarest words of ``text`` (in any form: "freezes" finds "frozen"), the best first:
        a word of the text that is one of the sense's own words counts half again, a run of two or three that is one
        (``capital of Italy``) thrice; of equals, the shorter first gloss (it is more about them); those under half the
        best's score are left out.  A question for a name ("what do we call", "the word for") finds nouns only."""
        scores = self.scored(text)
        best = sorted(scores, key=lambda k: (-round(scores[k], 6), len(self.senses[k].gloss.split(";")[0]), k))  # the same order every run
        # only the senses near the best: "capital of France" is Paris, not Paris, Lille and Vichy
        return [k for k in best[:FOUND] if scores[k] >= NEAR * scores[best[0]]]

    def scored(self, text: str) -> dict[Key, float]:
        """Every sense that shares a word with ``text``, and its score (``search``)."""
        scores: dict[Key, float] = defaultdict(float)
        words = set(tokens(text))
        for w in words:
            base = self.lemma(w)
            credit: dict[Key, float] = {}
            for alike in self.alike(base) - words if base else ():  # "closest" finds "the nearest to the sun" at half
                found = self.gloss_words.get(alike, set())
                credit.update(dict.fromkeys(found, ALIKE * self.idf(found)))
            found = self.gloss_words.get(base or w) or self.gloss_words.get(w, set())
            weight = self.idf(found)
            for key in found:
                names = {n.lower() for n in self.senses[key].words}  # "kenya" is one of Kenya's own words
                own = w in names or base in names
                credit[key] = weight * (1.5 if own else 1)
            for key, c in credit.items():
                scores[key] += c
        plain = text.lower().split()
        for n in (2, 3):
            for i in range(len(plain) - n + 1):
                run = "_".join(re.sub(r"[^\w'-]", "", x) for x in plain[i:i + n])
                if len(tokens(run)) < 2:
                    continue  # a phrasal verb ("live on") is one word and a particle, not a name
                for key in self.lemmas.get(run, []):
                    scores[key] += 3 * sum(self.idf(self.gloss_words.get(w, set())) for w in tokens(run))
        if asking.NAMING.search(text) and any(k[0] == "noun" for k in scores):  # "what do we call ...": a name is a noun
            return {k: v for k, v in scores.items() if k[0] == "noun"}
        return scores
