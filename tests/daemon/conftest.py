import pytest


@pytest.fixture
def booted(home):
    r = home.llmos("boot")
    assert r.returncode == 0, r.stderr
    return home


@pytest.fixture
def anyio_backend():
    return "asyncio"
