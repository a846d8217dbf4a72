"""The soak suite: ``make soak`` runs the long tests (marker ``soak``); the normal suite skips them
and runs only the short version."""
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "soak: long load test, run by `make soak`")


def pytest_collection_modifyitems(config, items):
    if "soak" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long soak: run `make soak`")
    for item in items:
        if item.get_closest_marker("soak"):
            item.add_marker(skip)


@pytest.fixture
def anyio_backend():
    return "asyncio"
