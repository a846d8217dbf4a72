"""GCIDE, the dictionary's second lexicon (drivers/tools/gcide.py): headwords whose definitions say a phrase, on a
tiny database in dictd's own format and on the real one (Debian's dict-gcide, unpacked by scripts/setup-gcide.sh)."""
from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from drivers.tools.dictionary import Dictionary
from drivers.tools.gcide import B64, DEFAULT_DIR, Gcide
from drivers.tools.lexicon import DEFAULT_DIR as WORDNET_DIR
from drivers.tools.lexicon import Lexicon
from tests.conftest import require
from tests.drivers.test_dictionary_tool import write_db

pytestmark = pytest.mark.anyio

ENTRIES = {
    "joey": "joey \\joey\\, n.\n   1. Any young animal, especially a young kangaroo.\n      [Australian]\n\n"
            "   2. A young child. [Australian]\n",
    "Cygnet": "Cygnet \\Cyg\"net\\, n.\n   A young swan. --Shak.\n",
    "Swan-hopping": "Swan-hopping \\Swan\"-hop`ping\\, n.\n   A yearly expedition on the Thames to take up young swans\n",
    "Kid": "Kid \\Kid\\, n.\n   1. A young goat.\n\n         The kid was dancing, as, \"a young kangaroo\".\n",
}


def b64(n: int) -> str:
    out = ""
    while True:
        out = B64[n % 64] + out
        n //= 64
        if not n:
            return out


def write_gcide(folder: Path) -> Path:
    text, index = "", []
    for word, body in ENTRIES.items():
        data = body.encode()
        index.append(f"{word.lower()}\t{b64(len(text.encode()))}\t{b64(len(data))}")
        text += body
    (folder / "gcide.index").write_text("\n".join(sorted(index)) + "\n")
    with gzip.open(folder / "gcide.dict.dz", "wb") as f:
        f.write(text.encode())
    return folder


def test_a_phrase_finds_the_headwords_whose_definitions_say_it_near_their_start(tmp_path):
    gcide = Gcide(write_gcide(tmp_path))
    assert gcide.defining(re.compile(r"young (?:[a-z]+ )?kangaroos?\b")) == [
        ("joey", "Any young animal, especially a young kangaroo.")]  # not Kid's example sentence
    assert gcide.defining(re.compile(r"young (?:[a-z]+ )?swans?\b")) == [("cygnet", "A young swan.")]  # no citation
    assert gcide.defining(re.compile(r"young (?:[a-z]+ )?owls?\b")) == []


def test_the_lexicon_names_a_young_animal_from_gcide_only_where_wordnet_has_none(tmp_path):
    (tmp_path / "wn").mkdir()
    lexicon = Lexicon(write_db(tmp_path / "wn"), more=Gcide(write_gcide(tmp_path)))
    assert lexicon.look_up("What do you call a baby kangaroo?") == ["joey (noun): Any young animal, especially a young kangaroo."]
    assert lexicon.look_up("What is the young of a dog called?")[0].startswith("puppy")  # WordNet's first
    assert not Gcide.available(tmp_path / "nothing")


async def test_the_real_gcide_names_a_joey():
    require(Gcide.available(DEFAULT_DIR), f"GCIDE ({DEFAULT_DIR}, scripts/setup-gcide.sh)")
    require((WORDNET_DIR / "index.noun").is_file(), f"WordNet ({WORDNET_DIR}, Debian's wordnet-base)")
    tool = Dictionary()
    assert (await tool.call({"word": "What do you call a baby kangaroo?"})).output.startswith("joey (noun): Any young animal")
    assert (await tool.call({"word": "What is a baby swan called?"})).output.startswith("cygnet")
