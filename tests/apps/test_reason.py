"""Reasoning helpers: self-consistency votes, tree-of-thought backtracks within a budget, scratchpad bounds."""
from __future__ import annotations

import json

import anyio
import pytest

from syscalls.errors import BudgetExceeded, SyscallError
from syscalls.reason import Scratchpad, self_consistency, tree_search


def run(coro_fn, *args, **kw):
    return anyio.run(lambda: coro_fn(*args, **kw))


def test_self_consistency_votes_and_filters():
    answers = ["7", "-3", "7", "9", None, "-3", "-3"]

    async def sample(i):
        if i == 4:
            raise SyscallError("flaky", code="llm_error")
        return answers[i]
    v = run(self_consistency, sample, 7)
    assert (v.winner, v.count, v.samples, v.failed) == ("-3", 3, 7, 1)
    v = run(self_consistency, sample, 7, accept=lambda a: not a.startswith("-"))
    assert (v.winner, v.count, v.failed, v.tally) == ("7", 2, 4, [("7", 2), ("9", 1)])
    v = run(self_consistency, sample, 7, stop_at=2)
    assert (v.winner, v.samples) == ("7", 3)  # stopped once "7" had two votes


def test_self_consistency_does_not_swallow_the_end_of_the_process():
    async def sample(i):
        raise BudgetExceeded("tokens")
    with pytest.raises(BudgetExceeded):
        run(self_consistency, sample, 3)


def test_tree_search_backtracks_from_a_dead_end_within_budget():
    # states are paths; "a" looks best first but leads nowhere, "b" -> "b2" is the goal
    tree = {"": ["a", "b"], "a": ["a1", "a2"], "a1": [], "a2": [], "b": ["b1", "b2"], "b1": [], "b2": []}
    scores = {"": 0, "a": 9, "b": 6, "a1": 2, "a2": 1, "b1": 3, "b2": 8}
    calls = []

    async def propose(s):
        calls.append(s)
        return tree[s]

    async def score(s):
        return scores[s]
    r = run(tree_search, "", propose, score, is_goal=lambda s: s == "b2", budget=5)
    assert r.found and r.best == "b2" and r.path == ["", "b", "b2"]
    assert calls == ["", "a", "b"] and r.expansions == 3 and r.backtracks == 1
    r = run(tree_search, "", propose, score, is_goal=lambda s: s == "b2", budget=2)
    assert not r.found and r.best == "a" and r.expansions == 2  # the budget ended it: best seen so far


def test_scratchpad_keeps_newest_notes_within_bound():
    pad = Scratchpad(max_chars=40)
    for i in range(6):
        pad.note(f"step {i}: some thought")
    assert pad.notes[-1] == "step 5: some thought" and pad.dropped >= 4
    assert len(pad.render()) <= 40 + 2 and "step 0" not in pad.render()


@pytest.mark.anyio
async def test_helpers_drive_the_model_through_syscalls(kernel_factory, make_app, router):
    make_app("thinker", code="""
from syscalls.reason import Scratchpad, llm_proposer, llm_scorer, tree_search
async def run(sys, task):
    pad = Scratchpad()
    await pad.think(sys, "What is 2+2?")
    await pad.think(sys, "And then?")
    propose = llm_proposer(sys, "Solve step by step.", k=2)
    score = llm_scorer(sys, "Judge the steps.")
    r = await tree_search("start", propose, score, is_goal=lambda s: s.endswith("done"), budget=3)
    return f"{pad.notes}|{r.found}|{r.path[-1]!r}"
""")
    router.add("Rate this", lambda t: json.dumps({"score": 9 if "done" in t.split("Rate this")[-1] else 4}))
    router.add("Propose next steps.", json.dumps({"next": ["go on", "done"]}))
    router.add("And then?", "Then check it.")
    router.add("Think step by step.", "2+2 is 4.")
    async with kernel_factory(router.engine) as k:
        p = await k.wait(await k.spawn("thinker"), 10)
    assert p.exit_reason == "exited", p.error
    assert p.result == "['2+2 is 4.', 'Then check it.']|True|'start\\ndone'"
    assert any("Your notes so far" in s and "2+2 is 4." in s for s in router.seen)  # notes went back in
