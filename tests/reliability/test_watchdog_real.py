"""The watchdog on the real embedded model: asked the same thing again in one conversation, greedy
decoding repeats itself; the watchdog notices and puts its warning page into the next request."""
import json

import pytest

from drivers.llm import EngineError, default_model_path
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from tests.conftest import require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]

ASKS = """
async def run(sys, task):
    msgs, outs = [{"role": "user", "content": task}], []
    for i in range(8):  # a conversation that goes round: the model sees what it said, and is asked again
        text = (await sys.llm.chat(msgs, max_tokens=6)).text
        outs.append(text)
        msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": task}]
    return outs
"""


def _model() -> bool:
    try:
        import llama_cpp  # noqa: F401
        default_model_path()
        return True
    except (ImportError, EngineError):
        return False


async def test_repeated_real_output_is_warned_then_stopped(tmp_path, registry, make_app):
    require(_model(), "the embedded model")
    make_app("asks", code=ASKS, syscalls=["llm.*"])
    cfg = KernelConfig(home=str(tmp_path / "h"), subsystems=["watchdog"], n_slots=1, n_ctx=1024)
    async with Kernel(cfg, engine=open_engine("", n_slots=1, n_ctx=1024), registry=registry) as k:
        pid = await k.spawn("asks", "Name one colour.")
        p = await k.wait(pid, timeout=120)
        warns = [e for e in k.events.for_pid(pid) if e["kind"] == "watchdog.warn"]
        assert warns and warns[0]["sign"] == "output"  # greedy decoding: the same answer three times
        tokens_in = [e["gen_ai.usage.input_tokens"] for e in k.events.for_pid(pid) if e["kind"] == "llm.request"]
        growth = [b - a for a, b in zip(tokens_in, tokens_in[1:])]
        assert growth[2] > growth[1] + 20  # the fourth request carries the warning page (~50 tokens)
        # with the page the model changes its answer (the warning worked), or it is stopped
        assert p.exit_reason in ("looping", "exited"), p.exit_reason
        if p.exit_reason == "exited":
            outs = json.loads(p.result)
            assert outs[3] != outs[2]
        else:
            assert len(tokens_in) == 5
