"""VectorStore on a real chromadb on disk: add, query, filters, persistence, deletion, threads."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from drivers.errors import DriverError
from drivers.vectors import Item, VectorStore, chroma_name

REPO = Path(__file__).resolve().parents[2]

FACTS = [
    Item("f1", "I prefer aisle seats on long flights", {"kind": "preference", "pid": 1, "app": "travel"}),
    Item("f2", "The quarterly report is due on Friday", {"kind": "fact", "pid": 1, "app": "work"}),
    Item("f3", "My cat is called Miso and she is nine years old", {"kind": "fact", "pid": 2, "app": "chat"}),
    Item("f4", "Book the train to Lyon for Tuesday morning", {"kind": "fact", "pid": 2, "app": "travel",
                                                             "importance": 0.5, "untrusted": False}),
]


def test_add_and_query_nearest_first(store):
    assert store.add("user:alice", FACTS) == 4
    assert store.count("user:alice") == 4
    hits = store.query("user:alice", "which seat do I like on a plane?", k=2)
    assert [h.id for h in hits][0] == "f1"
    assert hits[0].distance <= hits[1].distance
    assert 0.0 < hits[0].score <= 1.0 and hits[0].collection == "user:alice"
    assert hits[0].metadata == {"kind": "preference", "pid": 1, "app": "travel"}


def test_where_filters(store):
    store.add("user:alice", FACTS)
    hits = store.query("user:alice", "travel plans", k=4, where={"app": "travel", "kind": "fact"})
    assert [h.id for h in hits] == ["f4"]
    hits = store.query("user:alice", "anything", k=4, where={"pid": {"$in": [2]}})
    assert {h.id for h in hits} == {"f3", "f4"}
    assert {i.id for i in store.get("user:alice", where={"kind": "preference"})} == {"f1"}


def test_k_larger_than_collection_and_missing_collection(store):
    store.add("user:bob", FACTS[:2])
    assert len(store.query("user:bob", "x", k=50)) == 2
    assert store.query("user:nobody", "x") == []
    assert store.count("user:nobody") == 0 and not store.exists("user:nobody")
    with pytest.raises(DriverError) as info:
        store.query("user:bob", "x", k=0)
    assert info.value.code == "invalid"


def test_bad_metadata_is_refused(store):
    for md in ({"pid": None}, {"tags": ["a", "b"]}, {"when": {"nested": 1}}):
        with pytest.raises(DriverError) as info:
            store.add("user:alice", [Item("x", "text", md)])
        assert info.value.code == "invalid"
    assert store.count("user:alice") == 0


def test_re_adding_an_id_overwrites(store):
    store.add("app:x", [Item("a", "first version")])
    store.add("app:x", [Item("a", "second version", {"v": 2})])
    assert store.count("app:x") == 1
    assert store.get("app:x", ["a"])[0].text == "second version"


def test_logical_names_map_to_distinct_chroma_names(store):
    names = ["user:a.b", "user:a-b", "user:a_b", "proc:k1:7", "app:Ünïcode name"]
    assert len({chroma_name(n) for n in names}) == len(names)
    for n in names:
        store.add(n, [Item("i", n)])
    assert store.list_collections() == sorted(names)
    assert store.get("user:a.b", ["i"])[0].text == "user:a.b"


def test_persists_across_reopen_in_a_new_process(tmp_path, embedding):
    path = tmp_path / "disk"
    s = VectorStore(path, embedding=embedding)
    s.add("user:alice", FACTS)
    s.close()
    code = textwrap.dedent(f"""
        from drivers.vectors import VectorStore
        s = VectorStore({str(path)!r})
        print(s.list_collections(), s.count("user:alice"), s.query("user:alice", "my pet", k=1)[0].id)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["['user:alice']", "4", "f3"]
    again = VectorStore(path, embedding=embedding)  # and in this process, after close
    assert again.count("user:alice") == 4
    again.close()


def test_delete_really_deletes(tmp_path, embedding):
    path = tmp_path / "disk"
    s = VectorStore(path, embedding=embedding)
    secret = "the vault code is quokkaflamingo7731"
    s.add("user:alice", FACTS + [Item("s", secret, {"kind": "fact"})])
    assert s.delete("user:alice", ["s"], scrub=True) == 1
    assert s.get("user:alice", ["s"]) == []
    assert "s" not in [h.id for h in s.query("user:alice", "vault code", k=5)]
    assert s.count("user:alice") == 4
    s.close()
    # not in chromadb's write-ahead log, not in a free page of the sqlite file, nowhere on disk
    for f in path.rglob("*"):
        if f.is_file():
            assert b"quokkaflamingo" not in f.read_bytes().lower(), f
    s = VectorStore(path, embedding=embedding)
    assert s.get("user:alice", ["s"]) == [] and s.count("user:alice") == 4
    assert s.delete("user:alice", where={"kind": "preference"}) == 1
    assert s.count("user:alice") == 3
    s.close()


def test_delete_needs_a_target_and_drop_removes_all(store):
    store.add("app:x", FACTS)
    with pytest.raises(DriverError):
        store.delete("app:x")
    assert store.drop("app:x") is True
    assert store.drop("app:x") is False
    assert store.count("app:x") == 0 and "app:x" not in store.list_collections()


def test_safe_from_several_threads(store):
    errors = []

    def work(t):
        try:
            for i in range(10):
                store.add("app:threads", [Item(f"{t}-{i}", f"thread {t} item {i} about topic {i % 3}")])
                store.query("app:threads", f"topic {i % 3}", k=3)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert store.count("app:threads") == 40


def test_closed_store_says_so(tmp_path, embedding):
    s = VectorStore(tmp_path / "d", embedding=embedding)
    s.close()
    with pytest.raises(DriverError) as info:
        s.count("x")
    assert info.value.code == "unavailable"
