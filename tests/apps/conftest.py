"""Fixtures for the app tests: a kernel that sees the bundled apps and the test's own app folders."""
from __future__ import annotations

import pytest

from drivers.llm import ScriptedEngine


def prompt_text(engine: ScriptedEngine, req) -> str:
    """The text the kernel sent to the scripted engine (it submits token ids)."""
    return engine.detokenize(req.prompt) if req.prompt is not None else str(req.messages)


@pytest.fixture
def router():
    """A scripted engine whose reply is chosen by what the prompt says: ``router.add(needle, reply)``."""
    class Router:
        def __init__(self) -> None:
            self.rules: list[tuple[str, object]] = []
            self.engine = ScriptedEngine(default=self.reply, n_slots=4)
            self.seen: list[str] = []

        def add(self, needle: str, reply) -> Router:
            self.rules.append((needle, reply))
            return self

        def reply(self, req) -> str:
            text = prompt_text(self.engine, req)
            self.seen.append(text)
            for needle, reply in self.rules:
                if needle in text:
                    return reply(text) if callable(reply) else reply
            return "ok"
    return Router()



@pytest.fixture
def sandbox_ready() -> None:
    """The real sandbox (Docker and the image); skips on a dev box without it, fails in CI.
    Tests then boot their kernel with ``subsystems=["sandbox"]`` for the ``python`` tool."""
    from tests.conftest import require

    from .sandbox_support import docker_ready
    require(docker_ready(), "Docker with the llmos sandbox image")
