"""Every syscall's name is its request type's msgspec tag; a request type whose tag is no name is refused by name."""
from __future__ import annotations

import pytest

from syscalls import Request, llm
from syscalls.table import TABLE, name_of, tag_of


def test_every_table_entry_is_named_by_its_tag() -> None:
    for name, entry in TABLE.items():
        assert tag_of(entry.request) == name == entry.name
        assert entry.family == name.split(".", 1)[0]
    assert name_of(llm.Chat(messages=[])) == "llm.chat"


def test_a_request_type_tagged_with_a_number_is_named_in_the_error() -> None:
    class Numbered(Request, tag=7):  # msgspec allows int tags; a syscall name must be a string
        pass

    with pytest.raises(TypeError, match="Numbered has no syscall name"):
        tag_of(Numbered)
