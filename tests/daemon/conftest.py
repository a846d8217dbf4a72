import pytest

from .harness import Home


@pytest.fixture
def home():
    h = Home()
    try:
        yield h
    finally:
        h.teardown()


@pytest.fixture
def booted(home):
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    return home


@pytest.fixture
def anyio_backend():
    return "asyncio"
