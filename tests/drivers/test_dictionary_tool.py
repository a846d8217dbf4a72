"""The dictionary tool: WordNet's senses, plurals and opposites, questions read for the word they ask about,
on a tiny database in WordNet's own file format and on the real one (Debian's wordnet-base)."""
from __future__ import annotations

from pathlib import Path

import pytest

from drivers.tools.asking import in_digits
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
    "00001000 05 n 01 spider 0 000 | predatory arachnid with eight legs; \"a toy spider with six legs\"",
    "00001100 25 n 01 hexagon 0 000 | a six-sided polygon",
    "00001200 28 n 02 day 0 twenty-four_hours 0 000 | time for Earth to make a complete rotation on its axis",
    "00001300 09 n 02 Pacific 0 Pacific_Ocean 0 000 | the largest ocean in the world",
    "00001400 09 n 02 Atlantic 0 Atlantic_Ocean 0 000 | the 2nd largest ocean",
    "00001500 09 n 01 Lugano 0 000 | a lake; the largest lake in Ticino",
    "00001600 09 n 01 Garda 0 000 | the largest lake of Italy",
    "00001700 09 n 01 redwood 0 000 | the largest lakeside organism",
]
DATA_VERB = ["00000100 30 v 01 full 0 001 ! 00000200 v 0101 | increase in phase", "00000200 30 v 01 wane 0 001 ! 00000100 v 0101 | decrease in phase",
             "00000300 38 v 01 go 0 000 | change location", "00000400 38 v 01 swim 0 000 | travel through water",
             "00000500 38 v 01 walk 0 000 | use one's feet to advance", "00000600 38 v 01 stop 0 000 | come to a halt",
             "00000700 38 v 01 begin 0 000 | take the first step", "00000800 30 v 01 freeze 0 000 | change from a liquid to a solid"]
DATA_ADJ = [
    "00000100 00 a 01 hot 0 001 ! 00000200 a 0101 | used of physical heat",
    "00000200 00 a 01 cold 0 001 ! 00000100 a 0101 | used of physical coldness",
    "00000300 00 a 01 full 0 001 ! 00000400 a 0101 | containing as much as is possible",
    "00000400 00 a 01 empty 0 001 ! 00000300 a 0101 | holding nothing",
    "00000500 00 a 01 large 0 001 ! 00000600 a 0101 | above average in size",
    "00000600 00 a 01 small 0 001 ! 00000500 a 0101 | limited in size",
    "00000700 00 s 01 huge 0 001 & 00000500 a 0000 | unusually great in size",  # a satellite of "large"
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
    (folder / "verb.exc").write_text("began begin\nbeginning begin\nbegun begin\nfrozen freeze\ngone go\ngoing go\nswam swim\nswum swim\nwent go\n")
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
    ("What is the opposite of huge?", ["small"]),  # a satellite adjective's is its head's ("large")
    ("What's the plural of 'mouse' (the animal)?", ["mice"]),  # the quoted word, not the aside
    ("What is the past tense of the verb 'go'?", ["went"]), ("past tense of swim", ["swam"]),
    ("the past participle of swim", ["swum"]), ("What is the past tense of begin?", ["began"]),
    ("past tense of walk", ["walked"]), ("past tense of stop", ["stopped"]),  # regular verbs: -ed, a doubled consonant
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


@pytest.mark.parametrize("question, answer", [
    ("How many legs does a spider have?", ["8"]),  # "eight legs" in the gloss, not its example's "six legs"
    ("How many sides does a hexagon have? Answer in digits.", ["6"]),  # "six-sided"
    ("How many hours are in a day?", ["24"]),  # "twenty-four hours", one of its words
    ("How many legs does a dog have?", []),  # no gloss says: no answer, rather than a guess
])
def test_a_count_is_answered_only_from_a_gloss_that_states_it(lexicon, question, answer):
    assert lexicon.look_up(question) == answer


def test_a_search_finds_any_form_of_a_word_and_a_name_is_a_noun(lexicon):
    # "freezes" finds the gloss that says "frozen" (both "freeze"); the verb "freeze" is no name for anything
    assert lexicon.look_up("What do we call water when it freezes?")[0] == "ice, water ice (noun): water frozen in the solid state"


def test_a_quoted_word_is_the_word_asked_about_and_a_baby_animal_is_a_young_one(lexicon):
    assert lexicon.look_up("What does the word 'hexagon' mean?") == ["hexagon (noun): a six-sided polygon", "plural of hexagon: hexagons"]
    assert lexicon.look_up("What do you call a baby dog?")[0] == "puppy (noun): a young dog"


def test_a_superlative_is_answered_from_a_gloss_that_ranks_the_thing_by_it(lexicon):
    assert lexicon.look_up("What's the biggest ocean in the world?") == ["Pacific, Pacific Ocean (noun): the largest ocean in the world"]
    assert sorted(lexicon.look_up("What is the largest lake?")) == [  # in a clause of the gloss, of a place
        "Garda (noun): the largest lake of Italy", "Lugano (noun): a lake"]
    assert lexicon.look_up("What is the smallest ocean?") == []  # no gloss says it: nothing, rather than a guess
    assert "redwood" not in str(lexicon.look_up("What is the largest lake?"))  # "lakeside" is not a lake
    assert lexicon.look_up("Which ocean is the biggest?") == lexicon.look_up("What's the biggest ocean in the world?")


@pytest.mark.parametrize("question, answer", [
    ("How do you spell the number 40 in words?", "forty"), ("Spell out 75", "seventy-five"),
    ("Write 1234 in words.", "one thousand two hundred thirty-four"), ("write 20019 in words", "twenty thousand nineteen"),
    ("Spell the word 'stressed' backwards.", "desserts"),
])
def test_a_number_is_spelled_in_words_and_a_word_backwards(lexicon, question, answer):
    assert lexicon.look_up(question) == [answer]


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
    nothing = await tool.call({"word": "zyzzyva"})  # an error, so that no answer is held to it
    assert "no entry" in nothing.output and nothing.is_error
    for bad in ({}, {"word": ""}, {"word": 3}, {"word": "x" * 201}):
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
    assert (await tool.call({"word": "What do you call a baby cat?"})).output.startswith("kitten")
    assert (await tool.call({"word": "What is the past tense of 'go'?"})).output == "went"
    assert (await tool.call({"word": "How many legs does a spider have?"})).output == "8"
    assert (await tool.call({"word": "the opposite of huge"})).output == "small"
    # the sound's own entry, not a search that "says" matches to "said" in any gloss
    assert (await tool.call({"word": "Which farm animal says moo?"})).output.startswith("moo (noun): the sound made by a cow")


async def test_the_real_wordnet_reads_synonyms_meanings_kinds_and_young():
    require((DEFAULT_DIR / "index.noun").is_file(), f"WordNet ({DEFAULT_DIR}, Debian's wordnet-base)")
    tool = Dictionary()

    async def ask(q: str) -> str:
        return (await tool.call({"word": q})).output
    # synonyms: the first sense's words, then its "see also" and "similar" words, the commoner in its sense first
    assert (await ask("Give me a synonym for 'happy'.")).startswith("glad, ")
    assert (await ask("a one-word synonym for 'enormous' that starts with the letter h")).startswith("huge")
    assert (await ask("a synonym for 'begin' that starts with the letter s")).startswith("start, ")  # the commoner first
    # the word whose meaning is asked, quoted or not, with its closing quote
    for q in ("What does it mean if an animal is 'nocturnal'?", "what does it mean if an animal is nocturnal"):
        assert (await ask(q)).startswith("nocturnal (adj): belonging to or active during the night"), q
    assert "words like enormous: large" in await ask("What does the word 'enormous' mean?")
    # "which <kind> ...": a sense of that kind, or a word of that kind in the gloss of what the question names
    assert (await ask("Which planet is closest to the Sun?")).startswith("Mercury")  # "closest" finds "nearest"
    assert (await ask("Which gas do plants take in from the air for photosynthesis?")).startswith("carbon dioxide")
    assert (await ask("What colour is a ripe banana?")).startswith("yellow: as in banana")
    assert (await ask("Which organ pumps blood around the body?")).startswith("heart")
    assert (await tool.call({"word": "Which season comes after winter?"})).is_error  # nothing found is of the kind
    assert (await ask("What is a baby frog called?")).startswith("tadpole")  # a larva: a young one
    assert (await ask("Which continent is Kenya in?")).startswith("africa: as in Kenya")  # a name is its own word
    assert (await ask("What is the largest mammal on Earth?")).startswith("blue whale, sulfur bottom (noun)")  # no Latin


async def test_the_real_wordnet_reads_ranks_in_examples_like_superlatives_sounds_and_qualified_kinds():
    require((DEFAULT_DIR / "index.noun").is_file(), f"WordNet ({DEFAULT_DIR}, Debian's wordnet-base)")
    tool = Dictionary()

    async def ask(q: str) -> str:
        return (await tool.call({"word": q})).output
    # a rank a sense's example states ("your skin is the largest organ of your body"), asked with a like word
    for q in ("What is the largest organ of the human body?", "What's the biggest organ in the human body?"):
        assert (await ask(q)).startswith("skin, tegument, cutis (noun)"), q
    assert (await ask("What's the biggest ocean in the world?")).startswith("Pacific")  # "big" is like "large"
    # an animal's sound: a sound or cry of it, or of what it is a kind of (a donkey is an ass)
    assert (await ask("What sound does a donkey make?")).startswith("bray (noun): the cry of an ass")
    assert (await ask("what sound does a cat make")).startswith("meow, mew")  # "the sound", before "the yowling sound"
    assert (await ask("What does a dog say?")).startswith("bark (noun): the sound made by a dog")
    # a kind after the adjectives that qualify it
    assert (await ask("What type of tall, towering cloud usually brings thunderstorms?")).startswith("cumulonimbus")
    assert (await ask("What sweet food do bees make?")).startswith("honey")
    # a rank within a place is of that place, or nothing; a hedge ("mostly located") is no search word
    assert (await tool.call({"word": "What is the longest river in South America?"})).is_error  # the Nile is not
    assert (await ask("What is the longest river in Africa?")).startswith("Nile")
    assert (await ask("Which is the largest planet in our solar system?")).startswith("Jupiter")  # every planet's place
    assert await ask("On which continent is Egypt mostly located?") == "africa: as in Egypt"  # the thing, not its other names
    assert await ask("Egypt is mostly located on which continent?") == "africa: as in Egypt"  # the kind asked for last
    # a quoted example is not the word asked about; the word a meaning question asks, asked after it
    assert (await ask("What do you call a word that reads the same forwards and backwards, like 'level'?")).startswith("palindrome")
    assert (await ask("If an animal is described as nocturnal, what does that mean?")).startswith("nocturnal (adj): belonging to")
    assert (await ask("What is the biggest mammal alive today?")).startswith("blue whale")  # "alive" ends the thing
    assert (await ask("Give me another word that means 'rapid'.")).startswith("quick, fast")
    # a satellite's opposites: its heads' and their words' other senses', the two commonest
    assert await ask("What's the opposite of 'ancient'?") == "new, young"
    assert await ask("the opposite of huge") == "small"


@pytest.mark.parametrize("text, digits", [
    ("seven hundred twelve minus three hundred eighty-nine", "712 minus 389"),
    ("one thousand two hundred and five", "1205"),
    ("if one mile is 1.609 km", "if 1 mile is 1.609 km"),
    ("which one is bigger?", "which one is bigger?"),  # a lone "one" before no word of its own stays
    ("one of them", "one of them"),
])
def test_numbers_said_in_words_are_written_in_digits(text, digits):
    assert in_digits(text) == digits
