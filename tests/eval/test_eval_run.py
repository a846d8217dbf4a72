"""``llmos eval`` on the scripted model: every kind of ending is classified, and the system's failures
(timeouts, engine errors, crashes, budgets) are counted apart from wrong answers."""
from __future__ import annotations

import json

import pytest

from drivers.llm import EngineError, ScriptedEngine
from llmos.eval import report
from llmos.eval.backends import KernelBackend
from llmos.eval.runner import run_suite
from llmos.eval.suite import load_suite
from syscalls.errors import SyscallError

pytestmark = pytest.mark.anyio

APP = """
import anyio
from syscalls.errors import SyscallError

async def run(sys, task):
    if "slow" in task:
        await anyio.sleep(60)
    if "crash" in task:
        raise RuntimeError("boom")
    if "budget" in task:
        while True:
            await sys.llm.chat(task, max_tokens=60)
    if "give up" in task:
        raise SyscallError("no program produced an answer", code="no_answer")
    if "json" in task:
        return str((await sys.llm.json(task, {"type": "object"}, max_tokens=3)).value)
    return (await sys.llm.chat(task)).text
"""

ITEMS = [
    {"id": "ok", "category": "sums", "task": "add 2 and 2", "expect": 4, "checker": "number"},
    {"id": "turns", "category": "memory", "task": ["remember 9", "what number was it"], "expect": 9, "checker": "number"},
    {"id": "wrong", "category": "sums", "task": "add 3 and 3", "expect": 6, "checker": "number"},
    {"id": "giveup", "category": "sums", "task": "give up", "expect": 1, "checker": "number"},
    {"id": "trunc", "category": "sums", "task": "json please", "expect": "x", "checker": "contains"},
    {"id": "engine", "category": "sums", "task": "engine fault", "expect": 1, "checker": "number"},
    {"id": "slow", "category": "memory", "task": "slow task", "expect": 1, "checker": "number"},
    {"id": "crash", "category": "memory", "task": "crash now", "expect": 1, "checker": "number"},
    {"id": "budget", "category": "memory", "task": "budget burner", "expect": 1, "checker": "number"},
]


def engine() -> ScriptedEngine:
    """Replies chosen by the task, which the kernel sends as prompt tokens."""
    eng = ScriptedEngine(default=lambda req: reply(eng.detokenize(req.prompt or [])))
    return eng


def reply(text: str):
    if "engine" in text:
        return EngineError("device lost")
    replies = {"add 2 and 2": "4", "add 3 and 3": "7", "remember 9": "ok", "what number was it": "it was 9",
               "json please": '{"a": "a long long string"}'}
    return next((r for k, r in replies.items() if k in text), "word " * 40)


async def run_items(kernel_factory, make_app, tmp_path, items=ITEMS):
    make_app("evalme", code=APP, syscalls=["llm.*"], budgets="tokens = 300")
    suite_file = tmp_path / "suite.jsonl"
    suite_file.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    suite = load_suite(suite_file)
    async with kernel_factory(engine()) as k:
        return await run_suite(KernelBackend(k), "evalme", suite.items, tmp_path, concurrency=3, timeout=2)


async def test_system_failures_are_counted_apart_from_wrong_answers(kernel_factory, make_app, tmp_path):
    outcomes = await run_items(kernel_factory, make_app, tmp_path)
    by = {o.id: o for o in outcomes}
    assert [o.id for o in outcomes] == [i["id"] for i in ITEMS]  # item order, whatever order they finished in
    assert by["ok"].passed and by["turns"].passed
    assert {k: (by[k].failure, by[k].system) for k in by if not by[k].passed} == {
        "wrong": ("wrong", False), "giveup": ("error:no_answer", False), "trunc": ("error:truncated", False),
        "engine": ("error:engine", True), "slow": ("timeout", True), "crash": ("crashed", True),
        "budget": ("budget:tokens", True)}
    assert by["turns"].tokens_in > by["ok"].tokens_in  # both turns' costs are summed
    assert by["ok"].tokens_out == 1 and by["ok"].llm_seconds >= 0 and by["slow"].wall_seconds >= 2

    s = report.summarize(outcomes, {"app": "evalme", "suite": "suite"})
    assert (s["overall"]["passed"], s["overall"]["total"]) == (2, 9)
    assert (s["answered"]["passed"], s["answered"]["total"]) == (2, 5)  # the 4 system failures left out
    assert s["wrong_answers"] == 3 and s["system_failures"] == 4
    assert s["failures"]["model"] == {"wrong": 1, "error:no_answer": 1, "error:truncated": 1}
    assert s["failures"]["system"] == {"error:engine": 1, "timeout": 1, "crashed": 1, "budget:tokens": 1}
    assert s["categories"]["memory"]["system_failures"] == 3 and s["categories"]["sums"]["passed"] == 1


async def test_samples_run_each_item_again(kernel_factory, make_app, tmp_path):
    make_app("evalme", code=APP, syscalls=["llm.*"])
    f = tmp_path / "s.jsonl"
    f.write_text(json.dumps(ITEMS[0]) + "\n" + json.dumps(ITEMS[2]) + "\n")
    async with kernel_factory(engine()) as k:
        outs = await run_suite(KernelBackend(k), "evalme", load_suite(f).items, tmp_path, samples=3, timeout=5)
    assert [(o.id, o.sample, o.passed) for o in outs] == [("ok", 0, True), ("ok", 1, True), ("ok", 2, True),
                                                           ("wrong", 0, False), ("wrong", 1, False), ("wrong", 2, False)]


async def test_an_unknown_app_is_a_system_failure_of_each_item(kernel_factory, tmp_path):
    f = tmp_path / "s.jsonl"
    f.write_text(json.dumps(ITEMS[0]) + "\n")
    async with kernel_factory(engine()) as k:
        [o] = await run_suite(KernelBackend(k), "no-such-app", load_suite(f).items, tmp_path)
    assert (o.failure, o.system, o.passed) == ("spawn", True, False) and "no app named" in o.error


MEM_APP = """
async def run(sys, task):
    if task.startswith("remember "):
        await sys.mem.store(task[len("remember "):], collection="user")
        return "ok"
    return " | ".join(sorted(m.text for m in await sys.mem.recall("which fruit", k=5)))
"""


async def test_each_item_has_a_memory_of_its_own(kernel_factory, make_app, tmp_path):
    folder = make_app("memo", code=MEM_APP, syscalls=["mem.*"])
    toml = (folder / "app.toml").read_text().replace("[permissions]\n", '[permissions]\nmemory = ["user:{user}"]\n')
    (folder / "app.toml").write_text(toml)
    items = [{"id": f"fruit-{f}", "category": "memory", "task": [f"remember the fruit is {f}", "which fruit"],
              "expect": f, "checker": "contains"} for f in ("apple", "pear", "plum")]
    (tmp_path / "mem.jsonl").write_text("\n".join(json.dumps(i) for i in items) + "\n")
    async with kernel_factory(ScriptedEngine(default="ok"), subsystems=["memory"]) as k:
        outcomes = await run_suite(KernelBackend(k), "memo", load_suite(tmp_path / "mem.jsonl").items, tmp_path,
                                   concurrency=3, timeout=20)
        # the kernel's own user never saw them, and a spawn names a user only as a plain name
        with pytest.raises(SyscallError, match="user"):
            await k.spawn("memo", "which fruit", user="../other")
        assert not [c for c in k.memory.store.list_collections() if c.startswith("user:eval.")]  # dropped after
    assert [o.answer for o in outcomes] == ["the fruit is apple", "the fruit is pear", "the fruit is plum"]
    assert all(o.passed for o in outcomes)
