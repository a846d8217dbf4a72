"""MemoryVectorStore, the test double, behaves like VectorStore."""
from __future__ import annotations

import pytest

from drivers.errors import DriverError
from drivers.vectors import HashEmbedding, Item, MemoryVectorStore, matches

ITEMS = [Item(f"i{n}", text, {"n": n, "kind": "fact" if n % 2 else "note"}) for n, text in enumerate([
    "I prefer aisle seats on long flights", "The quarterly report is due on Friday",
    "My cat is called Miso", "Book the train to Lyon for Tuesday", "The wifi password is on the fridge",
    "Dinner with Sam on Saturday at eight"])]


def test_same_answers_as_the_real_store_with_the_same_embedding(store, embedding):
    double = MemoryVectorStore(embedding=embedding)
    for s in (store, double):
        s.add("user:alice", ITEMS)
    for q in ["where do I sit on planes", "pet's name", "weekend plans", "internet access"]:
        real = [h.id for h in store.query("user:alice", q, k=3)]
        fake = [h.id for h in double.query("user:alice", q, k=3)]
        assert real[0] == fake[0]
        assert set(real) == set(fake)
    for s in (store, double):
        assert {i.id for i in s.get("user:alice", where={"kind": "fact"})} == {"i1", "i3", "i5"}
        assert s.delete("user:alice", ids=["i0"]) == 1 and s.count("user:alice") == 5
        assert s.list_collections() == ["user:alice"]
        assert s.drop("user:alice") and s.count("user:alice") == 0


def test_hash_embedding_is_deterministic_and_normalised():
    a, b = HashEmbedding()(["aisle seat please", "aisle seat please"])
    assert a == b and abs(sum(x * x for x in a) - 1.0) < 1e-9


def test_double_validates_like_the_real_one():
    m = MemoryVectorStore()
    with pytest.raises(DriverError):
        m.add("x:y", [Item("a", "t", {"bad": [1]})])
    with pytest.raises(DriverError):
        m.query("x:y", "t", k=0)
    with pytest.raises(DriverError):
        m.query("x:y", "t", where={"$bogus": 1})


def test_where_matching():
    md = {"app": "a", "n": 3, "ok": True}
    assert matches({"app": "a", "n": {"$gte": 3}}, md)
    assert not matches({"$or": [{"app": "b"}, {"n": {"$lt": 3}}]}, md)
    assert matches({"missing": {"$ne": 1}}, md)
    assert not matches({"ok": 1}, md)  # a bool is not an int, as in chromadb
