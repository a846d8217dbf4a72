"""`llmos sandbox build|status` from the command line, and CI failing (not skipping) without an engine."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import image_tag

ROOT = Path(__file__).resolve().parents[2]
BOGUS = "unix:///tmp/llmos-no-such-docker.sock"


def llmos(*args: str, **env: str) -> subprocess.CompletedProcess:
    e = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "llmos", *args], capture_output=True, text=True, env=e,
                          timeout=120, cwd=ROOT)


@pytest.mark.docker
def test_build_is_a_no_op_when_the_image_is_current_and_status_shows_it(engine):
    r = llmos("sandbox", "build")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == image_tag()
    assert f"sandbox image {image_tag()} is up to date" in r.stderr  # the progress display's line
    r = llmos("sandbox", "status")
    assert r.returncode == 0 and f"{image_tag()} present" in r.stdout


def test_without_an_engine_build_says_what_to_do():
    r = llmos("sandbox", "build", DOCKER_HOST=BOGUS)
    assert r.returncode == 0  # llmos works without a sandbox: `make` goes on
    assert f"docker engine {BOGUS} unreachable" in r.stderr and "dockerd" in r.stderr
    r = llmos("sandbox", "build", "--strict", DOCKER_HOST=BOGUS)
    assert r.returncode == 1


def test_the_configured_engine_is_the_one_the_command_speaks_to(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"tcp://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed
    (tmp_path / "llmos.toml").write_text(f'[sandbox]\nengine = "{url}"\n')
    r = llmos("sandbox", "status", LLMOS_HOME=str(tmp_path), DOCKER_HOST=BOGUS)
    assert r.returncode == 1 and r.stderr.startswith(f"sandbox: docker engine {url} unreachable: "), r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_ci_fails_instead_of_skipping_without_an_engine(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text("from tests.sandbox.sandbox_support import docker_client\n"
                     "def test_needs_docker():\n    docker_client()\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DOCKER_HOST": BOGUS}
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), str(probe)]
    env.pop("CI", None)
    local = subprocess.run(run, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert "1 skipped" in local.stdout, local.stdout[-500:]
    ci = subprocess.run(run, capture_output=True, text=True, env={**env, "CI": "1"}, cwd=ROOT, timeout=120)
    assert ci.returncode == 1 and "1 failed" in ci.stdout and "CI is set" in ci.stdout, ci.stdout[-500:]
