"""A call that reaches its thread after the Sandbox closed says so, typed, instead of reading a pool that is gone."""
from __future__ import annotations

import pytest

from sandbox import Sandbox, SandboxError
from sandbox.exec import RunState


def test_a_run_on_a_closed_sandbox_is_unavailable() -> None:
    sb = Sandbox(kernel_id="kclosed")  # touches no Docker engine until a call
    state = RunState(None, "c1")
    sb._runs["owner"] = {"c1": state}
    with pytest.raises(SandboxError) as err:
        sb._run_blocking("owner", state, ["true"], {}, sb.limits, [], {}, False, None)
    assert err.value.code == "unavailable" and "closed" in str(err.value)
    assert sb._runs == {}  # the run's record is cleared all the same
