"""Grants: a process sees only the collections its app is granted, however it names them."""
from __future__ import annotations

import pytest
from memhelpers import words

from drivers.vectors import chroma_name
from kernel.memory import Grants, MemoryDenied, MemoryRegistry, Page

SECRET = "Project Nightjar launches on the ninth of June"


@pytest.fixture
def two_apps(disk, events):
    svc = MemoryRegistry(disk, kernel_id="k9", on_event=events)
    a = svc.open(10, app="alpha", user="ann", limit=200, count_tokens=words, grants=["app:{app}", "user:{user}"])
    b = svc.open(11, app="beta", user="ann", limit=200, count_tokens=words, grants=["app:{app}"])
    a.mem_store(SECRET, kind="fact", collection="app")
    for n in range(80):  # alpha also pages some context out to its own proc collection
        a.add(Page(text=f"alpha planning note {n}: {SECRET}" if n == 3 else f"alpha filler note {n}"))
    return svc, a, b


def test_app_b_cannot_read_app_a_even_by_guessing(two_apps, disk, events):
    svc, a, b = two_apps
    assert a.mem_recall("when does Nightjar launch", k=1, collection="app:alpha")[0].text == SECRET
    guesses = ["app:alpha", "app:*", "app:alph?", "user:ann", svc.proc_collection(10),
               chroma_name("app:alpha"), "proc:k9:10", "proc"]
    for guess in guesses[:-1]:
        with pytest.raises(MemoryDenied):
            b.mem_recall("Nightjar", collection=guess)
        with pytest.raises(MemoryDenied):
            b.mem_store("overwrite", collection=guess)
        with pytest.raises(MemoryDenied):
            b.mem_forget("anything", collection=guess)
    assert any(k == "mem.denied" and f["pid"] == 11 for k, f in events.log)
    # searching "everything it can see" never reaches alpha's collections
    for hit in b.mem_recall("Nightjar launch date", k=10):
        assert "Nightjar" not in hit.text and hit.collection in ("app:beta", b.collection)
    assert b.recall_for("Nightjar launch date", threshold=0.0) is None or \
        "Nightjar" not in b.context.pages[-1].text


def test_forget_cannot_reach_another_apps_memory(two_apps, disk):
    svc, a, b = two_apps
    mid = a.mem_recall("Nightjar", k=1, collection="app")[0].id
    assert b.mem_forget(mid) is False  # b cannot see it, so it cannot delete it
    assert disk.get("app:alpha", ids=[mid])
    assert a.mem_forget(mid) is True
    assert disk.get("app:alpha", ids=[mid]) == []


def test_broad_globs_never_grant_other_processes_collections():
    g = Grants(["*"], app="beta", user="ann", own="proc:k9:11")
    assert g.allows("app:alpha") and g.allows("user:bob")
    assert not g.allows("proc:k9:10") and g.allows("proc:k9:11")
    d = Grants(None, app="beta", user="ann", own="proc:k9:11")  # no grants declared: own app and user
    assert d.allows("app:beta") and d.allows("user:ann") and not d.allows("app:alpha")
    assert d.resolve(None) == "proc:k9:11" and d.resolve("user") == "user:ann"


def test_shared_collections_by_glob(disk):
    svc = MemoryRegistry(disk, kernel_id="k9")
    a = svc.open(20, app="alpha", user="ann", limit=100, count_tokens=words, grants=["app:team-*"])
    b = svc.open(21, app="beta", user="ann", limit=100, count_tokens=words, grants=["app:team-*"])
    a.mem_store("The team standup moved to 9:30", collection="app:team-notes")
    assert b.mem_recall("when is standup", k=1, collection="app:team-notes")[0].text.startswith("The team")


def test_release_drops_only_the_process_collection(two_apps, disk):
    svc, a, b = two_apps
    own = a.collection
    assert disk.count(own) > 0
    svc.release(10)
    assert disk.count(own) == 0 and disk.count("app:alpha") == 1
    assert svc.get(10) is None and svc.get(11) is b
