"""The memory manager with several engines: a process's context window, its token counts and its prompts are
those of the engine it runs on, not the default engine's."""
from __future__ import annotations

import json

import pytest
from kernelmem import FEEDER

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.config import EngineConf

pytestmark = pytest.mark.anyio


class Letters(ScriptedEngine):
    """A model whose tokenizer reads one token a character (the scripted one reads a word)."""

    def tokenize(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def detokenize(self, tokens: list[int]) -> str:
        return "".join(chr(t) for t in tokens)


async def test_a_process_on_a_small_engine_gets_that_engine_s_window_and_tokenizer(tmp_path, registry, make_app):
    folder = make_app("feeder", code=FEEDER, syscalls=("llm.*", "mem.*"))
    (folder / "app.toml").write_text((folder / "app.toml").read_text().replace(
        "priority = 20", 'priority = 20\nmodel = "small"'))
    big = ScriptedEngine(default="noted", n_ctx=65536, n_slots=1)  # the default: 65536 tokens a process
    small = Letters(default="noted", n_ctx=4096, n_slots=4)  # 1024 characters a process
    cfg = KernelConfig(home=str(tmp_path / "home"), subsystems=["memory"],
                       engines={"small": EngineConf(model="scripted", n_slots=4, n_ctx=4096)})
    async with Kernel(cfg, engine=big, engines={"small": small}, registry=registry) as k:
        spec = {"seed": 3, "pages": 60, "max_words": 40, "question": "What happened to the rope?", "max_tokens": 32,
                "every": 7}
        proc = await k.wait(await k.spawn("feeder", json.dumps(spec)), timeout=120)
        assert proc.exit_reason == "exited" and proc.engine == "small", proc.error
        assert big.requests == [] and len(small.requests) == 1 + 60 // 7
        for req in small.requests:  # every prompt, in the small engine's tokens, fits its window with the reply
            assert len(req.prompt) + req.max_tokens <= 1024
        text = small.detokenize(small.requests[-1].prompt)  # rendered by the small engine's template, in its tokens
        assert text.endswith("<|user|>What happened to the rope?\n<|assistant|>") and "[paged out:" in text
        assert any(e["kind"] == "mem.evict" for e in k.events.for_pid(proc.pid))  # so pages were paged out
        assert 0 < proc.ctx_used <= proc.ctx_limit < 1024  # top's CTX column: the small engine's window
