"""The dictionary's reader: a question about a word or a thing answered from WordNet (drivers/tools/wordnet.py)
with the word asked for, the word's entry, or the senses whose glosses say it."""
from __future__ import annotations

import re
from pathlib import Path

from . import asking, relations
from .asking import everyday, in_words
from .gcide import Definitions
from .wordnet import DEFAULT_DIR, LexiconError, WordNet

__all__ = ["DEFAULT_DIR", "Lexicon", "LexiconError"]
SENSES = 2  # senses shown for a word
LIKE = 4  # words like it shown with them


class Lexicon(WordNet):
    """WordNet, read for the answers to questions (``look_up``); ``more``, a second dictionary (drivers/tools/gcide.py)
    for a young animal's name that WordNet lacks."""

    def __init__(self, folder: Path = DEFAULT_DIR, more: Definitions | None = None):
        super().__init__(folder)
        self.more = more

    def look_up(self, query: str) -> list[str]:
        """Lines about ``query``, a word, a phrase or a question about one.  "plural of mouse" and "the
        opposite of hot" are answered with the word asked for ("mice", "cold"), "a synonym for happy" with
        words like it; "which planet ..." with things of that kind (drivers/tools/relations.py: typed), or
        nothing; a word (or an inflected form) with its senses, its plural when a noun and its opposite when
        it has one; anything else with the senses whose words and glosses share its rarest words ("What is
        frozen water called?" finds "ice (noun): water frozen in the solid state")."""
        said = " ".join(asking.ASIDE.sub("", query.lower()).split())  # its quotes kept: "is 'nocturnal'?"
        q = said.strip(" .,;:!?\"'")
        asked = asking.RELATION.search(q)
        if asked:
            quoted = asking.QUOTED.search(asked.group(0))
            word = self.lemma((quoted.group(1) if quoted else asked.group(2)).strip(" '\""))
            if word is not None and (answer := self.related(asked.group(1), word)):
                return [answer]
        if (syn := asking.SYNONYM.search(q)) and (word := self.lemma(syn.group(1))) is not None:
            initial = m.group(1) if (m := asking.INITIAL.search(q)) else ""  # "a synonym for enormous that starts with h"
            if words := relations.synonyms_of(self, word, initial):
                return [", ".join(words)]
        if spelled := asking.SPELL_NUMBER.search(q):  # "spell the number 40 in words": forty
            return [in_words(int(spelled.group(1) or spelled.group(2)))]
        if backwards := asking.BACKWARDS.search(q):  # "spell the word cat backwards": tac
            return [backwards.group(1)[::-1]]
        counted = asking.COUNT.search(q)
        if counted:  # a count is answered from a gloss that states it, or not at all
            n = relations.count_of(self, counted.group(1), counted.group(2))
            return [n] if n else []
        plain = everyday(q)
        sup = asking.SUPERLATIVE.search(plain)
        ranked = (sup.group(1), sup.group(2)) if sup else (
            (m.group(2), m.group(1)) if (m := asking.RANKED_FIRST.search(plain)) else None)
        if ranked and relations.adjective(self, ranked[0]):  # a superlative is answered from a gloss that says it, or not at all
            return [self.describe(k) for k in relations.ranking(self, *ranked, plain)]
        says = asking.SAYS.search(q)  # the sound's own entry names the animal ("moo: the sound made by a cow or bull")
        if says and (sound := self.lemma(says.group(1))) is not None:
            return self.entry(sound)
        animal = asking.SOUND.search(plain)  # "what sound does a donkey make": bray
        if animal and (made := relations.sound_of(self, next(g for g in animal.groups() if g))):
            return [self.describe(k) for k in made]
        young = asking.YOUNG.search(plain) if asking.NAMING.search(q) else None  # "what is a baby frog called"
        if young and (named := relations.young_of(self, young.group(1))):
            return [self.describe(k) for k in named]
        if young and self.more and (defined := self.more.defining(re.compile(rf"young (?:[a-z]+ )?{re.escape(young.group(1))}s?\b"))):
            return [f"{word.lower()} (noun): {definition}" for word, definition in defined]  # joey: "any young animal, ..."
        kind = asking.TYPED.search(plain)
        if kind and all(self.is_a(w, "adj") for w in asking.tokens(kind.group(1))):  # "which planet ...": a planet, or nothing
            rest = plain[:kind.start(2)] + plain[kind.end(2):]  # found by what it says of the thing, not by its kind
            return relations.typed(self, kind.group(2), plain, self.scored(rest))
        if last := asking.TYPED_LAST.search(plain):  # "Egypt is mostly located on which continent?"
            return relations.typed(self, last.group(1), plain, self.scored(plain[:last.start(1)]))
        means = asking.MEANS.search(q)  # "what does it mean if an animal is nocturnal": that word's entry
        if means and (word := self.lemma(next(g for g in means.groups() if g))) is not None:
            return self.entry(word)
        quoted = asking.QUOTED.search(re.sub(r"\b(?:like|such as|e\.g\.|for example)\s+['\"‘“][^'\"’”]*['\"’”]", " ", said))  # an example is not the word  # "what does the word 'enormous' mean": the quoted word's entry
        if quoted and (word := self.lemma(quoted.group(1))) is not None:
            return self.entry(word)
        lemma = self.lemma(re.sub(r"^(?:a|an|the|to)\s+", "", q)) if q else None
        if lemma is not None:
            return self.entry(lemma)
        return [self.describe(k) for k in self.search(everyday(q))]

    def related(self, relation: str, lemma: str) -> str | None:
        """The word ``relation`` of ``lemma`` names: its plural, its opposite, its past tense or participle."""
        if relation == "plural":
            return relations.plural_of(self, lemma) if self.common_noun(lemma) else None
        if relation.startswith("past"):
            return relations.past_of(self, lemma, participle=relation.endswith("participle")) if self.is_a(lemma, "verb") else None
        return relations.opposite_of(self, lemma)

    def entry(self, lemma: str) -> list[str]:
        keys = self.lemmas[lemma]
        firsts: dict[str, tuple[str, str]] = {}  # each part of speech's first sense, in the index's order
        for key in keys:
            firsts.setdefault(key[0], key)
        first = list(firsts.values())
        lines = [self.describe(k) for k in (keys[:SENSES] if len(first) == 1 else first[:SENSES + 1])]
        name = lemma.replace("_", " ")
        if self.common_noun(lemma):
            lines.append(f"plural of {name}: {relations.plural_of(self, lemma)}")
        opposite = relations.opposite_of(self, lemma)
        if opposite:
            lines.append(f"opposite of {name}: {opposite}")
        shown = {w.lower() for k in keys[:SENSES] for w in self.senses[k].words[:3]}
        described = keys[0][0] != "noun"  # a noun's sense shows its other names; an adjective's has only itself
        like = [w for w in relations.synonyms_of(self, lemma) if w.replace(" ", "_") not in shown][:LIKE] if described else []
        if like:
            lines.append(f"words like {name}: {', '.join(like)}")
        return lines
