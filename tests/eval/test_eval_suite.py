"""Suite files: each kind of bad line is one clear error naming the line; the dev/held-out rule."""
from __future__ import annotations

import json

import pytest

from llmos.eval.suite import Item, SuiteError, load_suite, split_of


def write(tmp_path, *lines: str, name: str = "s.jsonl"):
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def item(**kw) -> str:
    base = {"id": "a1", "category": "c", "task": "What is 2+2?", "expect": 4, "checker": "number"}
    return json.dumps({**base, **kw})


@pytest.mark.parametrize("line, message", [
    ("{not json", "s.jsonl:1: not valid JSON"),
    ("[1, 2]", "s.jsonl:1: an item must be a JSON object"),
    (json.dumps({"id": "x", "category": "c", "expect": 1}), "s.jsonl:1: missing 'task'"),
    (item(checker="fuzzy"), "s.jsonl:1: unknown checker 'fuzzy'"),
    (item(expect="four"), "s.jsonl:1: checker 'number' needs a number"),
    (item(checker="contains", expect=[]), "s.jsonl:1: checker 'contains' needs a string or a list"),
    (item(checker="exact", expect=3), "s.jsonl:1: checker 'exact' needs a string"),
    (item(task=""), "s.jsonl:1: 'task' must be a non-empty string"),
    (item(task=["hi", " "]), "s.jsonl:1: 'task' must be a non-empty string"),
    (item(id=" "), "s.jsonl:1: 'id' and 'category' must not be empty"),
    (item(checker="python:nope:check"), "s.jsonl:1: checker module nope.py is not next to the suite"),
    (item(checker="python:onlymodule"), "s.jsonl:1: a Python checker is written 'python:module:function'"),
    (item(extra=1), "s.jsonl:1: Object contains unknown field `extra`"),
])
def test_a_bad_line_is_one_line_naming_where(tmp_path, line, message):
    with pytest.raises(SuiteError) as err:
        load_suite(write(tmp_path, line))
    text = str(err.value)
    assert text.startswith(message) and "\n" not in text


def test_duplicate_ids_empty_files_and_unknown_names(tmp_path):
    with pytest.raises(SuiteError, match=r"s.jsonl:3: duplicate id 'a1' \(first on line 1\)"):
        load_suite(write(tmp_path, item(), "", item()))
    with pytest.raises(SuiteError, match="the suite has no items"):
        load_suite(write(tmp_path, "", "// only a comment"))
    with pytest.raises(SuiteError, match="no suite named 'nosuch'; bundled suites: .*math"):
        load_suite("nosuch")
    with pytest.raises(SuiteError, match="no such suite file"):
        load_suite(tmp_path / "missing.jsonl")


def test_a_good_file_loads_with_turns_and_a_python_checker(tmp_path):
    (tmp_path / "mycheck.py").write_text("def ok(answer, expect, item):\n    return answer == expect\n")
    s = load_suite(write(tmp_path, item(), item(id="b", task=["Remember 7.", "What number?"], expect=7),
                         item(id="c", checker="python:mycheck:ok", expect="x")))
    assert [i.id for i in s.items] == ["a1", "b", "c"] and s.name == "s"
    assert s.items[1].turns == ["Remember 7.", "What number?"] and s.items[0].turns == ["What is 2+2?"]


def test_the_split_depends_on_ids_alone_and_halves_each_category():
    items = [Item(id=f"{cat}-{n}", category=cat, task=f"t{cat}{n}", expect="x") for cat in "abc" for n in range(7)]
    dev = {i.id for i in items if split_of(i, items) == "dev"}
    shuffled = list(reversed(items))
    assert dev == {i.id for i in shuffled if split_of(i, shuffled) == "dev"}  # file order does not matter
    for cat in "abc":
        ids = {i.id for i in items if i.category == cat}
        assert len(ids & dev) == 4  # 7 items: 4 dev (rounded up), 3 held out
    assert dev != {i.id for i in items if int(i.id.split("-")[1]) < 4}  # not simply the first ones
