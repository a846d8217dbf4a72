"""The dictionary tool: WordNet's senses, plurals and opposites, questions read for the word they ask about,
on a tiny database in WordNet's own file format and on the real one (Debian's wordnet-base)."""
from __future__ import annotations

from pathlib import Path

import pytest

from drivers.tools.dictionary import Dictionary
from drivers.tools.lexicon import DEFAULT_DIR, Lexicon, LexiconError
from tests.conftest import require

pytestmark = pytest.mark.anyio

# offset lex_filenum ss_type w_cnt word lex_id [...] p_cnt [ptr ...] | gloss  (WordNet's wndb(5WN) format)
DATA_NOUN = [
    "00000100 05 n 01 mouse 0 000 | any of numerous small rodents",
    "00000200 05 n 01 child 0 001 ! 00000300 n 0101 | a young person of either sex",
    "00000300 05 n 01 parent 0 001 ! 00000200 n 0101 | a father or mother",
    "00000400 27 n 02 ice 0 water_ice 0 000 | water frozen in the solid state",
    "00000500 15 n 02 Rome 0 capital_of_Italy 0 000 | capital and largest city of Italy",
    "00000600 05 n 01 puppy 0 000 | a young dog",
    "00000700 05 n 01 dog 0 000 | a domesticated canine that barks",
    "00000800 27 n 01 water 0 000 | a liquid that falls as rain; \"drink some water\"",
    "00000900 15 n 02 Turin 0 Torino 0 000 | capital city of the Piemonte region of northwestern Italy",
]
DATA_VERB = ["00000100 30 v 01 full 0 001 ! 00000200 v 0101 | increase in phase", "00000200 30 v 01 wane 0 001 ! 00000100 v 0101 | decrease in phase"]
DATA_ADJ = [
    "00000100 00 a 01 hot 0 001 ! 00000200 a 0101 | used of physical heat",
    "00000200 00 a 01 cold 0 001 ! 00000100 a 0101 | used of physical coldness",
    "00000300 00 a 01 full 0 001 ! 00000400 a 0101 | containing as much as is possible",
    "00000400 00 a 01 empty 0 001 ! 00000300 a 0101 | holding nothing",
]


def write_db(folder: Path) -> Path:
    def index(lines: list[str], pos: str) -> str:
        out: dict[str, list[str]] = {}
        for line in lines:
            f = line.split()
            for i in range(int(f[3], 16)):
                out.setdefault(f[4 + 2 * i].lower(), []).append(f[0])
        return "".join(f"{lemma} {pos} {len(offs)} 0 {len(offs)} 0 {' '.join(offs)}\n" for lemma, offs in sorted(out.items()))
    folder.mkdir(parents=True, exist_ok=True)
    licence = "  1 This software and database is being provided to you, the LICENSEE ...\n"  # lines that start with spaces
    (folder / "data.noun").write_text(licence + "\n".join(DATA_NOUN) + "\n")
    (folder / "data.adj").write_text(licence + "\n".join(DATA_ADJ) + "\n")
    (folder / "index.noun").write_text(licence + index(DATA_NOUN, "n"))
    (folder / "index.adj").write_text(index(DATA_ADJ, "a"))
    (folder / "data.verb").write_text("\n".join(DATA_VERB) + "\n")
    (folder / "index.verb").write_text(index(DATA_VERB, "v"))
    (folder / "noun.exc").write_text("children child\nmice mouse\n")
    return folder


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory) -> Lexicon:
    return Lexicon(write_db(tmp_path_factory.mktemp("wordnet")))


@pytest.mark.parametrize("query, first", [
    ("mouse", "mouse (noun): any of numerous small rodents"),
    ("mice", "mouse (noun): any of numerous small rodents"),  # an irregular form finds its word
    ("the dogs", "dog (noun): a domesticated canine that barks"),  # an article and a regular plural taken off
    ("Rome", "Rome, capital of Italy (noun): capital and largest city of Italy"),
])
def test_a_word_is_looked_up_with_its_senses(lexicon, query, first):
    assert lexicon.look_up(query)[0] == first


def test_a_common_noun_has_its_plural_and_an_opposite_where_wordnet_has_one(lexicon):
    assert lexicon.look_up("child")[1:] == ["plural of child: children", "opposite of child: parent"]
    assert lexicon.look_up("dog")[1:] == ["plural of dog: dogs"]
    assert lexicon.look_up("Rome")[1:] == []  # a name has no plural
    assert lexicon.look_up("hot") == ["hot (adj): used of physical heat", "opposite of hot: cold"]


@pytest.mark.parametrize("question, answer", [
    ("What is the plural of child?", ["children"]), ("plural of mouse", ["mice"]), ("the plural of dog", ["dogs"]),
    ("What is the opposite of hot?", ["cold"]), ("Antonym of 'cold'", ["hot"]),
    ("What is the opposite of 'full'?", ["empty"]),  # the adjective's antonym before the verb's ("wane")
])
def test_a_question_for_a_plural_or_an_opposite_is_answered_with_the_word(lexicon, question, answer):
    assert lexicon.look_up(question) == answer


@pytest.mark.parametrize("question, first", [
    ("What is frozen water called?", "ice, water ice (noun): water frozen in the solid state"),
    ("What is the young of a dog called?", "puppy (noun): a young dog"),
    ("What is the capital of Italy?", "Rome, capital of Italy (noun): capital and largest city of Italy"),
])
def test_a_question_that_names_no_word_finds_the_senses_sharing_its_rarest_words(lexicon, question, first):
    assert lexicon.look_up(question)[0] == first


def test_a_search_shows_only_the_senses_near_the_best(lexicon):
    assert lexicon.look_up("What is the capital of Italy?") == ["Rome, capital of Italy (noun): capital and largest city of Italy"]


def test_nothing_found_is_an_empty_list(lexicon):
    assert lexicon.look_up("zyzzyva") == [] and lexicon.look_up("") == []


def test_no_database_or_a_broken_one_is_a_clear_error(tmp_path):
    with pytest.raises(LexiconError, match="wordnet-base"):
        Lexicon(tmp_path)
    broken = write_db(tmp_path / "broken")
    (broken / "data.noun").write_text("00000100 05 n zz mouse\n")
    with pytest.raises(LexiconError, match="format"):
        Lexicon(broken)


async def test_the_tool_answers_validates_and_reports_a_missing_database(tmp_path):
    tool = Dictionary(write_db(tmp_path / "db"))
    out = await tool.call({"word": "What is the plural of mouse?"})
    assert (out.output, out.is_error, out.data) == ("mice", False, ["mice"])
    assert "no entry" in (await tool.call({"word": "zyzzyva"})).output
    for bad in ({}, {"word": ""}, {"word": 3}, {"word": "x" * 81}):
        out = await tool.call(bad)
        assert out.is_error and "needs a 'word'" in out.output
    missing = await Dictionary(tmp_path / "none").call({"word": "dog"})
    assert missing.is_error and "wordnet-base" in missing.output


async def test_the_real_wordnet():
    require((DEFAULT_DIR / "index.noun").is_file(), f"WordNet ({DEFAULT_DIR}, Debian's wordnet-base)")
    tool = Dictionary()
    assert (await tool.call({"word": "What is the plural of child?"})).output == "children"
    assert (await tool.call({"word": "the opposite of up"})).output == "down"
    assert "cow" in (await tool.call({"word": "moo"})).output
    assert (await tool.call({"word": "What is frozen water called?"})).output.startswith("ice")
    assert (await tool.call({"word": "What is the young of a dog called?"})).output.startswith("puppy")
