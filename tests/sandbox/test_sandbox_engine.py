"""Without an engine or an image the sandbox says so clearly, at call time, and never pulls."""
from __future__ import annotations

import socket

import pytest

from sandbox import DEFAULT, SYSTEM_MAX, Limits, Sandbox, SandboxError, clamp, limits_from

pytestmark = pytest.mark.anyio

BOGUS = "unix:///tmp/llmos-no-such-docker.sock"


async def test_no_engine_fails_at_call_time_with_what_to_do(tmp_path):
    kernel_socket = socket.socket(socket.AF_UNIX)
    kernel_socket.bind(str(tmp_path / "k.sock"))
    sb = Sandbox(base_url=BOGUS)  # constructing never raises
    for call in (lambda: sb.exec("1", "python", "print(1)"),
                 lambda: sb.run_app("1", ["python3"], str(tmp_path / "k.sock")),
                 sb.reap_orphans, sb.start):
        with pytest.raises(SandboxError) as ei:
            await call()
        err = ei.value
        assert err.code == "unavailable"
        assert str(err).startswith(f"docker engine {BOGUS} unreachable: ") and "dockerd" in str(err)
    # cleanup calls have nothing to clean and do not raise
    assert await sb.release("1") == 0
    await sb.close()
    kernel_socket.close()


@pytest.mark.docker
async def test_missing_image_is_never_pulled(engine):
    sb = Sandbox(image="llmos-sandbox:does-not-exist", pool_size=0)
    with pytest.raises(SandboxError) as ei:
        await sb.exec("1", "shell", "true")
    assert ei.value.code == "unavailable"
    assert "python -m sandbox build" in str(ei.value)
    assert not engine.images.list(name="llmos-sandbox:does-not-exist")
    await sb.close()


def test_defaults_are_safe():
    assert DEFAULT.memory_mb <= 512 and DEFAULT.pids <= 128 and DEFAULT.timeout_s <= 60
    assert DEFAULT.output_bytes <= 1024 * 1024


def test_clamp_holds_requests_within_system_max_and_floor():
    got = clamp(Limits(memory_mb=10**6, cpus=64, pids=1, timeout_s=0.0, output_bytes=10**12))
    assert got.memory_mb == SYSTEM_MAX.memory_mb
    assert got.cpus == SYSTEM_MAX.cpus
    assert got.output_bytes == SYSTEM_MAX.output_bytes
    assert got.pids >= 8 and got.timeout_s > 0
    small_max = Limits(memory_mb=128)
    assert clamp(Limits(memory_mb=256), small_max).memory_mb == 128


def test_limits_from_partial_mapping():
    got = limits_from({"memory_mb": 512, "timeout_s": 5})
    assert got.memory_mb == 512 and got.timeout_s == 5 and got.pids == DEFAULT.pids
    with pytest.raises(SandboxError):
        limits_from({"network": True})
    with pytest.raises(SandboxError):
        limits_from({"memory_mb": "lots"})
