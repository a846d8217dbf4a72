"""Reasoning helpers for apps: self-consistency voting, a small tree-of-thought search, a scratchpad.

They take the app's own functions (a sampler, a proposer, a scorer) so they work with any
prompt; ``llm_proposer`` and ``llm_scorer`` build those two from plain instructions.  Calls are
made one after another: a process issues one syscall at a time.
"""
from __future__ import annotations

import collections
import heapq
import itertools
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

import msgspec

from .errors import ENDING, SyscallError
from .sdk import Sys

T = TypeVar("T")
S = TypeVar("S")


class Vote(msgspec.Struct, Generic[T]):
    winner: Any  # the most common answer (None when no sample produced one)
    count: int  # how many samples agreed with it
    samples: int  # samples drawn
    tally: list[tuple[str, int]]  # (answer, votes), most votes first
    failed: int = 0  # samples that raised or returned None

    @property
    def agreement(self) -> float:
        return self.count / self.samples if self.samples else 0.0


async def self_consistency(sample: Callable[[int], Awaitable[T | None]], n: int = 5, *,
                           key: Callable[[T], Hashable] = lambda v: v,
                           accept: Callable[[T], bool] = lambda v: True, stop_at: int | None = None) -> Vote[T]:
    """Draw ``n`` samples (``sample(i)``, i = 0..n-1; give each its own seed), vote on ``key(answer)``.

    Answers that ``accept`` rejects (a sanity check) and samples that fail do not vote.  With
    ``stop_at``, sampling stops early once one answer has that many votes.  Ties go to the
    answer seen first."""
    if n < 1:
        raise ValueError("self_consistency needs n >= 1")
    votes: collections.Counter[Hashable] = collections.Counter()
    first: dict[Hashable, T] = {}
    failed = drawn = 0
    for i in range(n):
        drawn += 1
        try:
            answer = await sample(i)
        except SyscallError as exc:
            if exc.code in ENDING:
                raise
            answer = None
        if answer is None or not accept(answer):
            failed += 1
            continue
        k = key(answer)
        first.setdefault(k, answer)
        votes[k] += 1
        if stop_at and votes[k] >= stop_at:
            break
    if not votes:
        return Vote(winner=None, count=0, samples=drawn, tally=[], failed=failed)
    order = list(first)
    best = max(order, key=lambda k: (votes[k], -order.index(k)))
    tally = sorted(((str(k), c) for k, c in votes.items()), key=lambda kv: -kv[1])
    return Vote(winner=first[best], count=votes[best], samples=drawn, tally=tally, failed=failed)


class Node(msgspec.Struct, Generic[S]):
    state: Any
    score: float
    depth: int
    parent: int  # index into SearchResult.nodes; -1 for the root


class SearchResult(msgspec.Struct):
    best: Any  # the goal state found, or the best-scored state seen
    score: float
    found: bool  # whether ``is_goal`` accepted ``best``
    expansions: int
    backtracks: int  # times the search left the branch it had just expanded for an older one
    nodes: list[Node[Any]]
    path: list[Any]  # states from the root to ``best``


async def tree_search(root: S, propose: Callable[[S], Awaitable[list[S]]], score: Callable[[S], Awaitable[float]],
                      *, is_goal: Callable[[S], bool] = lambda s: False, budget: int = 8, width: int = 3,
                      max_depth: int = 4) -> SearchResult:
    """Best-first tree-of-thought: expand the best open state (``propose`` up to ``width`` next
    states), ``score`` them, and go on from the best one anywhere in the tree, so a branch that
    scores worse is left for an earlier, better one (backtracking).  ``budget`` bounds expansions."""
    nodes: list[Node[Any]] = [Node(state=root, score=await score(root), depth=0, parent=-1)]
    tie = itertools.count()
    frontier: list[tuple[float, int, int]] = [(-nodes[0].score, next(tie), 0)]
    expansions = backtracks = 0
    last_children: set[int] = set()
    best = 0
    while frontier and expansions < budget:
        _, _, idx = heapq.heappop(frontier)
        node = nodes[idx]
        if is_goal(node.state):
            best = idx
            break
        if last_children and idx not in last_children:
            backtracks += 1
        if node.depth >= max_depth:
            continue
        expansions += 1
        last_children = set()
        for child in (await propose(node.state))[:width]:
            nodes.append(Node(state=child, score=await score(child), depth=node.depth + 1, parent=idx))
            c = len(nodes) - 1
            last_children.add(c)
            heapq.heappush(frontier, (-nodes[c].score, next(tie), c))
            if nodes[c].score > nodes[best].score:
                best = c
    else:
        goals = [i for i, n in enumerate(nodes) if is_goal(n.state)]
        if goals:
            best = max(goals, key=lambda i: nodes[i].score)
    path, i = [], best
    while i != -1:
        path.append(nodes[i].state)
        i = nodes[i].parent
    return SearchResult(best=nodes[best].state, score=nodes[best].score, found=is_goal(nodes[best].state),
                        expansions=expansions, backtracks=backtracks, nodes=nodes, path=path[::-1])


def llm_proposer(sys: Sys, instruction: str, *, k: int = 3, max_tokens: int = 160,
                 temperature: float = 0.7) -> Callable[[str], Awaitable[list[str]]]:
    """Propose up to ``k`` next thoughts for a partial solution (a string), under a JSON schema."""
    schema = {"type": "object", "properties": {"next": {"type": "array", "items": {"type": "string"},
                                                        "minItems": 1, "maxItems": k}}, "required": ["next"]}
    seeds = itertools.count(1)

    async def propose(state: str) -> list[str]:
        r = await sys.llm.json([{"role": "system", "content": instruction},
                                {"role": "user", "content": f"So far:\n{state}\n\nPropose next steps."}],
                               schema, max_tokens=max_tokens, temperature=temperature, seed=next(seeds))
        steps = r.value.get("next", []) if isinstance(r.value, dict) else []
        return [f"{state}\n{s}".strip() for s in steps if isinstance(s, str) and s.strip()]
    return propose


def llm_scorer(sys: Sys, instruction: str, *, max_tokens: int = 24) -> Callable[[str], Awaitable[float]]:
    """Score a partial solution from 0 to 10 with the model (a JSON integer, so it always parses)."""
    schema = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 10}},
              "required": ["score"]}

    async def score(state: str) -> float:
        r = await sys.llm.json([{"role": "system", "content": instruction},
                                {"role": "user", "content": f"Rate this from 0 (wrong) to 10 (right):\n{state}"}],
                               schema, max_tokens=max_tokens)
        v = r.value.get("score", 0) if isinstance(r.value, dict) else 0
        return float(v) if isinstance(v, (int, float)) else 0.0
    return score


class Scratchpad:
    """Chain-of-thought notes an app keeps beside its prompt: bounded, oldest notes dropped first.

    ``render()`` gives the notes that fit in ``max_chars`` (newest kept); ``dropped`` counts the
    notes evicted.  Notes are working memory: they never become answers or long-term memories."""

    def __init__(self, max_chars: int = 2000):
        self.max_chars = max_chars
        self.notes: list[str] = []
        self.dropped = 0

    def note(self, text: str) -> None:
        self.notes.append(" ".join(text.split())[: self.max_chars])
        while sum(len(n) + 3 for n in self.notes) > self.max_chars and len(self.notes) > 1:
            self.notes.pop(0)
            self.dropped += 1

    def render(self) -> str:
        return "\n".join(f"- {n}" for n in self.notes)

    def message(self) -> dict[str, Any]:
        """The notes as a chat message (role user, marked as the app's own working notes)."""
        return {"role": "user", "content": "Your notes so far (scratch work, not instructions):\n" + self.render()}

    async def think(self, sys: Sys, question: str, *, max_tokens: int = 96) -> str:
        """One step of thinking on ``question`` with the notes in view; the thought is noted and returned."""
        msgs = [{"role": "system", "content": "Think step by step. Write the next short step of reasoning only."}]
        if self.notes:
            msgs.append(self.message())
        msgs.append({"role": "user", "content": question})
        thought = (await sys.llm.chat(msgs, max_tokens=max_tokens)).text.strip()
        if thought:
            self.note(thought)
        return thought
