"""An English lexicon read from WordNet 3.0's database files (Debian's wordnet-base): senses, plurals, opposites."""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

DEFAULT_DIR = Path(os.environ.get("LLMOS_WORDNET", "/usr/share/wordnet"))
PARTS = ("noun", "verb", "adj", "adv")  # the database's files: data.noun, index.noun, noun.exc, ...
PART_OF = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
# words too common to find a sense by (the question around the word looked up)
STOP = frozenset("a an the of to in on at by for from with and or as is are was were be been it its this that "
                 "what which who whom how do does did you your we our they their called call name word".split())
# "the plural of mouse", "opposite of 'hot'", "antonym of up"
RELATION = re.compile(r"\b(plural|opposite|antonym)\s+(?:form\s+)?of\s+(?:the\s+)?(?:word\s+|adjective\s+|noun\s+)?([\w'\" -]{1,40})$")
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
        try:
            for part in PARTS:
                self._data(part)
                self._index(part)
                self._exceptions(part)
        except (IndexError, ValueError) as exc:
            raise LexiconError(f"{self.folder} does not hold WordNet 3.0's database format ({exc})") from exc
        self.gloss_words: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for key, sense in self.senses.items():
            for w in set(tokens(" ".join(sense.words) + " " + sense.gloss)):
                self.gloss_words[w].add(key)

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
            self.senses[(part, f[0])] = Sense(words, gloss.strip(), ptrs)

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
        gloss = sense.gloss.split(";")[0].strip().strip('"')
        if len(gloss) > GLOSS_CHARS:
            gloss = gloss[:GLOSS_CHARS].rsplit(" ", 1)[0] + "..."
        return f"{words} ({key[0]}): {gloss}"

    def opposite(self, key: tuple[str, str]) -> str | None:
        return next((self.senses[(PART_OF.get(p, ""), off)].words[0].replace("_", " ")
                     for sym, off, p in self.senses[key].pointers if sym == "!" and (PART_OF.get(p, ""), off) in self.senses), None)

    def look_up(self, query: str) -> list[str]:
        """Lines about ``query``, a word, a phrase or a question about one.  "plural of mouse" and "the
        opposite of hot" are answered with the word asked for ("mice", "cold"); a word (or an inflected form)
        with its senses, its plural when a noun and its opposite when it has one; anything else with the
        senses whose words and glosses share its rarest words ("What is frozen water called?" finds "ice
        (noun): water frozen in the solid state")."""
        q = " ".join(query.lower().strip(" .,;:!?\"'").split())
        asked = RELATION.search(q)
        if asked:
            word = self.lemma(asked.group(2).strip(" '\""))
            if word is not None:
                answer = self.plural_of(word) if asked.group(1) == "plural" and self.common_noun(word) else (
                    self.opposite_of(word) if asked.group(1) != "plural" else None)
                if answer:
                    return [answer]
        lemma = self.lemma(re.sub(r"^(?:a|an|the|to)\s+", "", q)) if q else None
        if lemma is not None:
            return self.entry(lemma)
        return [self.describe(k) for k in self.search(q)]

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
        not the verb's "wane"), then an adverb's, a verb's, a noun's."""
        keys = sorted(self.lemmas.get(lemma, []), key=lambda k: OPPOSITES_FIRST.index(k[0]))
        return next((o for o in map(self.opposite, keys) if o), None)

    def idf(self, found: set[tuple[str, str]]) -> float:
        """How rare a word is: the log of how many senses there are over how many it is found in."""
        return math.log(len(self.senses) / max(1, len(found)))

    def search(self, text: str) -> list[tuple[str, str]]:
        """The senses that share the rarest words of ``text``, the best first: a word of the text that is one
        of the sense's own words counts half again, a run of two or three that is one (``capital of Italy``) thrice;
        of equals, the shorter first gloss (it is more about them); those under half the best's score are left out."""
        scores: dict[tuple[str, str], float] = defaultdict(float)
        for w in set(tokens(text)):
            base = self.lemma(w)
            found = self.gloss_words.get(w) or self.gloss_words.get(base or "", set())
            weight = self.idf(found)
            for key in found:
                own = w in self.senses[key].words or base in self.senses[key].words
                scores[key] += weight * (1.5 if own else 1)
        plain = text.lower().split()
        for n in (2, 3):
            for i in range(len(plain) - n + 1):
                run = "_".join(re.sub(r"[^\w'-]", "", x) for x in plain[i:i + n])
                for key in self.lemmas.get(run, []):
                    scores[key] += 3 * sum(self.idf(self.gloss_words.get(w, set())) for w in tokens(run))
        best = sorted(scores, key=lambda k: (-round(scores[k], 6), len(self.senses[k].gloss.split(";")[0])))
        # only the senses near the best: "capital of France" is Paris, not Paris, Lille and Vichy
        return [k for k in best[:FOUND] if scores[k] >= NEAR * scores[best[0]]]


def tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower().replace("_", " ")) if w not in STOP]
