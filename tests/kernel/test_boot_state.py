"""The parts a kernel has only once booted say so when read before, instead of handing out None."""
from __future__ import annotations

import pytest

from drivers.llm.scripted import ScriptedEngine
from kernel import Kernel, KernelConfig


@pytest.mark.parametrize("part", ["engine", "sched", "tg"])
def test_unbooted_kernel_names_the_missing_part(part: str, tmp_path) -> None:
    k = Kernel(KernelConfig(home=str(tmp_path)))
    with pytest.raises(RuntimeError, match="before it boots"):
        getattr(k, part)


def test_a_given_engine_is_there_before_boot(tmp_path) -> None:
    eng = ScriptedEngine()
    assert Kernel(KernelConfig(home=str(tmp_path)), engine=eng).engine is eng


@pytest.mark.anyio
async def test_booted_kernel_has_all_three(tmp_path) -> None:
    async with Kernel(KernelConfig(home=str(tmp_path), subsystems=[]), engine=ScriptedEngine()) as k:
        assert k.sched.n_slots == k.engine.n_slots
        assert k.tg.cancel_scope is not None
