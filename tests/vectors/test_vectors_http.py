"""HttpVectorStore against a real ``chroma run`` on loopback, a server that stops, and servers that answer garbage."""
from __future__ import annotations

import time

import numpy as np
import pytest

from drivers.errors import DriverError
from drivers.vectors import HttpVectorStore, Item, VectorStore
from tests.chroma_server import ChromaServer, GarbageServer

DOCS = [Item("a1", "I prefer aisle seats on long flights", {"kind": "preference", "n": 1}),
        Item("a2", "The cat is called Tom and sleeps on the piano", {"kind": "fact", "n": 2}),
        Item("a3", "Invoices are due on the first Monday of the month", {"kind": "fact", "n": 3})]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield server
    server.stop()


@pytest.fixture
def remote(chroma, embedding):
    s = HttpVectorStore(chroma.database_url(), embedding=embedding, timeout=5)
    yield s
    s.close()


def test_the_server_store_answers_as_the_disk_store_does(remote, tmp_path, embedding):
    disk = VectorStore(tmp_path / "disk", embedding=embedding)
    try:
        for s in (remote, disk):
            assert s.add("user:alice", DOCS) == 3
            assert s.add("app:notes", DOCS[2:]) == 1
        assert remote.list_collections() == disk.list_collections() == ["app:notes", "user:alice"]
        for q in ("which seat do I like?", "what is the pet's name", "when do I pay bills"):
            far, near = remote.query("user:alice", q, k=3), disk.query("user:alice", q, k=3)
            assert [h.id for h in far] == [h.id for h in near]
            assert np.allclose([h.distance for h in far], [h.distance for h in near], atol=1e-4)
        assert remote.query("user:alice", "seat", k=3, where={"kind": "fact"})[0].id in ("a2", "a3")
        assert remote.get("user:alice", ids=["a2"]) == [DOCS[1]]
        assert remote.delete("user:alice", ids=["a2"], scrub=True) == 1 and remote.count("user:alice") == 2
        assert remote.drop("app:notes") and not remote.exists("app:notes") and not remote.drop("app:notes")
    finally:
        disk.close()


def test_the_embeddings_are_llmos_own(remote, embedding):
    """The server stores the vectors llmos computed: it never embeds."""
    remote.add("user:bob", DOCS)
    [(items, vecs)] = list(remote.export("user:bob"))
    want = embedding.embed([it.text for it in items])
    assert [it.id for it in items] == ["a1", "a2", "a3"] and np.allclose(vecs, want, atol=1e-6)


def test_a_bad_address_is_refused_before_any_request():
    for url in ("http://127.0.0.1:99999", "http://127.0.0.1:8001/a/b", "ftp://x", "http://u:p@h:1"):
        with pytest.raises(DriverError) as e:
            HttpVectorStore(url)
        assert e.value.code == "invalid" and "\n" not in str(e.value)


def test_a_stopped_server_is_unavailable_then_back(tmp_path, embedding):
    server = ChromaServer(tmp_path / "data").start()
    store = HttpVectorStore(server.url, embedding=embedding, timeout=2)
    try:
        store.add("user:carol", DOCS)
        server.stop()
        for call in (lambda: store.add("user:carol", [Item("x", "one more")]), lambda: store.query("user:carol", "seat"),
                     store.list_collections, lambda: store.count("user:carol")):
            t0 = time.monotonic()
            with pytest.raises(DriverError) as e:
                call()
            assert e.value.code == "unavailable" and time.monotonic() - t0 < 3
            assert str(e.value).startswith(f"vector store {server.url} unreachable:") and "\n" not in str(e.value)
        server.start()
        assert store.count("user:carol") == 3  # nothing lost, and the same store object works again
        assert store.query("user:carol", "which seat?", k=1)[0].id == "a1"
    finally:
        store.close()
        server.stop()


@pytest.mark.parametrize("mode", ["html", "json", "error", "hang", "close", "liar", "stall"])
def test_a_server_that_answers_garbage_is_one_line_unavailable(mode, embedding):
    with GarbageServer(mode) as g:
        store = HttpVectorStore(g.url, embedding=embedding, timeout=1)
        for call in (lambda: store.add("user:dave", DOCS), lambda: store.query("user:dave", "seat"),
                     store.list_collections, store.warm):
            t0 = time.monotonic()
            with pytest.raises(DriverError) as e:
                call()
            took = time.monotonic() - t0
            msg = str(e.value)
            assert e.value.code == "unavailable", msg
            assert msg.startswith(f"vector store {g.url}") and "\n" not in msg and len(msg) < 400, msg
            assert "Traceback" not in msg and "<html" not in msg.lower(), msg
            assert took < 1 * 4 + 1, (mode, took)  # the heartbeat, then at most the handshake's three requests
        store.close()


def test_after_a_timeout_calls_fail_at_once_for_a_while(embedding):
    with GarbageServer("hang") as g:
        store = HttpVectorStore(g.url, embedding=embedding, timeout=1)
        t0 = time.monotonic()
        with pytest.raises(DriverError, match="did not answer within 1 s"):
            store.list_collections()
        assert 0.9 < time.monotonic() - t0 < 2
        t0 = time.monotonic()
        with pytest.raises(DriverError, match="not tried again for") as e:
            store.query("user:x", "anything")
        assert time.monotonic() - t0 < 0.2 and e.value.code == "unavailable"
        time.sleep(1.0)
        g.mode = "html"  # the server answers again (garbage, but at once): it is tried again
        with pytest.raises(DriverError, match="answered garbage"):
            store.list_collections()
        store.close()
