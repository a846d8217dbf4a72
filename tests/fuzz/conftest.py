"""Hypothesis profiles for the fuzz suite: bounded in the normal suite, long under ``make fuzz``.

``HYPOTHESIS_PROFILE=fuzz`` (what ``make fuzz`` sets) runs thousands of examples per property;
the default, ``llmos-quick``, runs a few dozen so the whole suite stays fast.  The profile is
applied per test (``FUZZ`` below), not globally, so other suites keep their own settings."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("llmos-quick", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "llmos-quick")
FUZZ = settings(settings.get_profile(PROFILE if PROFILE in ("llmos-quick", "fuzz") else "llmos-quick"))
LONG = PROFILE == "fuzz"


@pytest.fixture
def anyio_backend():
    return "asyncio"
