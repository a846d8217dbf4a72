"""``llmos mem migrate``: an on-disk store to a real Chroma server and back, idempotent, refused while the daemon holds it."""
from __future__ import annotations

import numpy as np
import pytest

from drivers.vectors import HttpVectorStore, Item, MemoryVectorStore, VectorStore
from drivers.vectors.migrate import copy_store
from llmos.cli import main
from tests.chroma_server import ChromaServer, GarbageServer

FACTS = {
    "user:alice": ["I prefer aisle seats on long flights", "My cat Tom sleeps on the piano",
                   "Invoices are due on the first Monday", "I am allergic to peanuts"],
    "app:notes": ["Deploys happen on Tuesdays", "The staging database is called blue-heron"],
    "user:bob": [],  # an empty collection goes too
}
QUERIES = [("user:alice", "which seat should I book?"), ("user:alice", "what can't I eat"),
           ("app:notes", "when do we ship to production")]


@pytest.fixture(scope="module")
def chroma(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data").start()
    yield server
    server.stop()


def seeded(path, embedding) -> VectorStore:
    s = VectorStore(path, embedding=embedding)
    for name, texts in FACTS.items():
        s.collection(name)
        s.add(name, [Item(f"m-{name[-3:]}{i}", t, {"kind": "fact", "i": i}) for i, t in enumerate(texts)])
    return s


def test_migrate_to_a_server_and_back(tmp_path, chroma, embedding, capsys):
    src = seeded(tmp_path / "src", embedding)
    before = {q: [(h.id, h.distance) for h in src.query(c, q, k=3)] for c, q in QUERIES}
    src.close()
    url = chroma.database_url()
    assert main(["mem", "migrate", "--from", str(tmp_path / "src"), "--to", url]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"copied 6 items in 3 collections from {tmp_path / 'src'} to {url} (0 already there)"
    assert "user:alice: 4 read, 4 copied" in out.err  # the progress line
    remote = HttpVectorStore(url, embedding=embedding)
    try:
        assert remote.list_collections() == sorted(FACTS)
        assert {n: remote.count(n) for n in FACTS} == {n: len(t) for n, t in FACTS.items()}
        for c, q in QUERIES:  # the same hits, from the same vectors
            hits = remote.query(c, q, k=3)
            assert [h.id for h in hits] == [i for i, _ in before[q]]
            assert np.allclose([h.distance for h in hits], [d for _, d in before[q]], atol=1e-4)
        assert remote.get("user:alice", ids=["m-ice3"])[0].metadata == {"kind": "fact", "i": 3}
    finally:
        remote.close()

    assert main(["mem", "migrate", "--from", str(tmp_path / "src"), "--to", url]) == 0  # again: nothing new
    again = capsys.readouterr().out.strip()
    assert again.startswith("copied 0 items in 3 collections") and again.endswith("(6 already there)"), again

    assert main(["mem", "migrate", "--from", url, "--to", str(tmp_path / "back")]) == 0
    capsys.readouterr()
    back = VectorStore(tmp_path / "back", embedding=embedding)
    try:
        assert {n: back.count(n) for n in back.list_collections()} == {n: len(t) for n, t in FACTS.items()}
        assert [h.id for h in back.query("app:notes", QUERIES[2][1], k=1)] == [before[QUERIES[2][1]][0][0]]
    finally:
        back.close()


def test_copy_store_pages_through_a_collection_and_keeps_the_vectors():
    src, dst = MemoryVectorStore(), MemoryVectorStore()
    src.add("user:x", [Item(f"i{n}", f"text {n}") for n in range(7)], embeddings=[[float(n), 1.0] for n in range(7)])
    dst.add("user:x", [Item("i3", "already here")], embeddings=[[9.0, 9.0]])
    seen = []
    [done] = copy_store(src, dst, batch=3, progress=seen.append)
    assert (done.read, done.copied, done.present) == (7, 6, 1) and [s.read for s in seen] == [3, 6, 7]
    vecs = {it.id: v for items, vs in dst.export("user:x", 100) for it, v in zip(items, vs)}
    assert vecs["i5"] == [5.0, 1.0] and vecs["i3"] == [9.0, 9.0]  # copied as stored; what was there stays


def test_bad_stores_are_one_line_errors(tmp_path, capsys):
    assert main(["mem", "migrate", "--from", str(tmp_path / "none"), "--to", str(tmp_path / "b")]) == 1
    assert capsys.readouterr().err.strip() == f"llmos: no vector store at {tmp_path / 'none'}"
    assert main(["mem", "migrate", "--from", str(tmp_path), "--to", str(tmp_path)]) == 2
    assert "the same store" in capsys.readouterr().err
    assert main(["mem", "migrate", "--from", str(tmp_path), "--to", "http://127.0.0.1:99999"]) == 2
    assert "Port out of range" in capsys.readouterr().err
    seeded(tmp_path / "src", None).close()
    with GarbageServer("json") as g:
        assert main(["mem", "migrate", "--from", str(tmp_path / "src"), "--to", g.url]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"llmos: vector store {g.url} answered garbage") and "Traceback" not in "".join(err)


def test_refused_while_the_daemon_holds_the_store(home, chroma):
    assert home.llmos("boot").returncode == 0
    r = home.llmos("mem", "migrate", "--from", str(home.path / "vectors"), "--to", chroma.database_url())
    assert r.returncode == 1 and r.stderr.strip() == (f"llmos: the running daemon holds {home.path / 'vectors'}; "
                                                      "stop it first (llmos halt)"), r.stderr
    assert home.llmos("halt").returncode == 0
    r = home.llmos("mem", "migrate", "--from", str(home.path / "vectors"), "--to", chroma.database_url())
    assert r.returncode == 0 and r.stdout.startswith("copied 0 items"), r.stderr  # the daemon had opened it: empty


def test_llmos_mem_without_a_daemon_uses_the_configured_server(tmp_path, chroma, monkeypatch, capsys):
    """``[memory] store`` names the server: ``llmos mem`` opens it (not ``<home>/vectors``) when no daemon runs."""
    home = tmp_path / "llmos-home"
    home.mkdir(exist_ok=True)
    url = chroma.database_url()
    (home / "llmos.toml").write_text(f'[memory]\nstore = "{url}"\nstore_timeout = 5\n')
    monkeypatch.setenv("LLMOS_HOME", str(home))
    assert main(["mem", "store", "Deploys happen on Tuesdays", "--app", "ops"]) == 0
    assert main(["mem", "search", "when do we deploy", "--app", "ops"]) == 0
    assert "Deploys happen on Tuesdays" in capsys.readouterr().out
    assert not (home / "vectors").exists()
    remote = HttpVectorStore(url)
    try:
        assert [it.text for it in remote.get("app:ops")] == ["Deploys happen on Tuesdays"]
    finally:
        remote.close()
    with GarbageServer("close") as g:  # a server that hangs up: one line, no traceback
        (home / "llmos.toml").write_text(f'[memory]\nstore = "{g.url}"\nstore_timeout = 1\n')
        assert main(["mem", "list"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"llmos: vector store {g.url} unreachable") and "\n" not in err, err


def test_the_shell_says_migrate_is_a_command_line_job():
    from llmos.commands.mem import request_of
    with pytest.raises(ValueError, match="mem migrate runs from the command line"):
        request_of(["migrate", "--from", "a", "--to", "b"])
