"""Recall scoped by kind and relevance: a fact about the person's dog never becomes their airline (travel)."""
from __future__ import annotations

import json

import pytest

from drivers.llm import ScriptedEngine
from kernel.api import memapi
from kernel.api import messages as api

pytestmark = pytest.mark.anyio

PREFS_APP = '''
import json

from apps.travel.request import Trip, preferences


async def run(sys, task):
    if task != "trip":  # the syscall itself
        spec = json.loads(task)
        hits = await sys.mem.recall("preferred airline and seat when flying", k=10, collection="user",
                                    kinds=spec["kinds"], min_score=spec["min_score"])
        return json.dumps([[h.text, h.kind, h.score] for h in hits])
    t = await preferences(sys, Trip("Oslo", "Rome", "2026-05-01"))
    return json.dumps({"memories": t.memories, "airline": t.airline, "seat": t.seat})
'''


def prefs_app(make_app):
    folder = make_app("prefs", code=PREFS_APP, syscalls=("llm.*", "mem.*"))
    toml = (folder / "app.toml").read_text().replace("[permissions]\n", '[permissions]\nmemory = ["user:*"]\n')
    (folder / "app.toml").write_text(toml)


async def remember(k, text: str, kind: str) -> None:
    await memapi.handle(k, api.MemStore(text=text, kind=kind))


async def run(k, task: str):
    proc = await k.wait(await k.spawn("prefs", task), 60)
    assert proc.exit_reason == "exited", proc.error
    return json.loads(proc.result)


async def test_recall_keeps_only_the_kinds_asked_for_and_the_relevant_ones(kernel_factory, make_app):
    prefs_app(make_app)
    async with kernel_factory(ScriptedEngine(default="{}"), subsystems=["memory"]) as k:
        await remember(k, "My dog is Biscuit", "fact")
        await remember(k, "I love my dog Biscuit", "preference")
        await remember(k, "I prefer aisle seats when I fly", "preference")
        everything = await run(k, json.dumps({"kinds": [], "min_score": -1.0}))
        assert {t for t, _, _ in everything} >= {"My dog is Biscuit", "I love my dog Biscuit"}
        prefs = await run(k, json.dumps({"kinds": ["preference"], "min_score": -1.0}))
        assert {kind for _, kind, _ in prefs} == {"preference"}
        relevant = await run(k, json.dumps({"kinds": ["preference"], "min_score": 0.3}))
        assert [t for t, _, _ in relevant] == ["I prefer aisle seats when I fly"], everything


async def test_travel_does_not_take_a_dog_for_an_airline(kernel_factory, make_app):
    prefs_app(make_app)
    # a model that, shown anything at all, answers with the name in it (what the 135M model did)
    confused = ScriptedEngine(default=json.dumps({"airline": "Biscuit", "seat": "any"}))
    async with kernel_factory(confused, subsystems=["memory"]) as k:
        await remember(k, "My dog is Biscuit", "fact")
        await remember(k, "I love my dog Biscuit", "preference")
        got = await run(k, "trip")
        assert got == {"memories": [], "airline": "", "seat": "any"}
        assert not confused.requests  # nothing relevant was remembered, so the model was not even asked


async def test_travel_still_uses_a_relevant_preference(kernel_factory, make_app):
    prefs_app(make_app)
    model = ScriptedEngine(default=json.dumps({"airline": "Eastwind", "seat": "window"}))
    async with kernel_factory(model, subsystems=["memory"]) as k:
        await remember(k, "My dog is Biscuit", "fact")
        await remember(k, "I like flying Eastwind and a window seat", "preference")
        got = await run(k, "trip")
        assert got["memories"] == ["I like flying Eastwind and a window seat"]
        assert (got["airline"], got["seat"]) == ("Eastwind", "window")


async def test_a_users_memory_can_be_dropped_through_the_api(kernel_factory, make_app):
    async with kernel_factory(ScriptedEngine(default="{}"), subsystems=["memory"]) as k:
        await memapi.handle(k, api.MemStore(text="My dog is Biscuit", user="ann"))
        await memapi.handle(k, api.MemStore(text="My cat is Tom"))  # the kernel's user
        assert await memapi.handle(k, api.MemDropUser(user="ann")) is True
        assert await memapi.handle(k, api.MemDropUser(user="ann")) is False  # nothing left to drop
        left = await memapi.handle(k, api.MemList())
        assert [i.text for i in left] == ["My cat is Tom"]
