"""The watchdog on the real embedded model: greedy decoding repeats itself on the same prompt; the
watchdog notices three identical outputs to three different requests and puts its warning page into the next request."""
import json

import pytest

from drivers.llm import EngineError, default_model_path
from drivers.llm.factory import open_engine
from kernel import Kernel, KernelConfig
from tests.conftest import require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]

ASKS = """
async def run(sys, task):
    outs = []
    for i in range(8):  # a slightly different request each time: only the output repeats
        msgs = [{"role": "system", "content": f"Attempt {i + 1}."}, {"role": "user", "content": task}]
        outs.append((await sys.llm.chat(msgs, max_tokens=6)).text)
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
        assert tokens_in[3] > tokens_in[2]  # the fourth request carries the warning page
        # with the page the model changes its answer (the warning worked), or it is stopped
        assert p.exit_reason in ("looping", "exited"), p.exit_reason
        if p.exit_reason == "exited":
            outs = json.loads(p.result)
            assert outs[3] != outs[2]
        else:
            assert len(tokens_in) == 5
