"""A suite's demo sites: each ``site`` folder served on loopback for the run, ``{site}`` replaced by its URL,
and every server stopped when the run ends (llmos/eval/sites.py, runner.py)."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from llmos.eval import sites
from llmos.eval.outcome import Run
from llmos.eval.runner import run_suite
from llmos.eval.suite import load_suite

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


def refused(url: str) -> bool:
    try:
        httpx.get(url, timeout=2)
    except httpx.ConnectError:
        return True
    return False


def two_sites(tmp_path: Path) -> Path:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(f"<title>site {name}</title>")
    suite = tmp_path / "s.jsonl"
    items = [{"id": "a", "category": "c", "task": "open {site}/index.html", "site": "one", "expect": "x"},
             {"id": "b", "category": "c", "task": ["first {site}/index.html", "then {site}/index.html again"],
              "site": "two", "expect": "x"},
             {"id": "c", "category": "c", "task": "again {site}/index.html", "site": "./one", "expect": "x"},
             {"id": "d", "category": "c", "task": "no site here, {curly} braces stay", "expect": "x"}]
    suite.write_text("".join(json.dumps(i) + "\n" for i in items))
    return suite


def test_each_folder_is_served_once_and_stopped_after(tmp_path):
    suite = load_suite(two_sites(tmp_path))
    with sites.serving(suite.items, tmp_path) as placed:
        urls = {i.id: i.turns[0].split()[1].removesuffix("/index.html") for i in placed[:3]}
        assert urls["a"] == urls["c"] != urls["b"]  # one server per folder, however the folder is written
        assert all(u.startswith("http://127.0.0.1:") for u in urls.values())
        assert placed[1].turns == [f"first {urls['b']}/index.html", f"then {urls['b']}/index.html again"]
        assert placed[3].task == "no site here, {curly} braces stay"
        assert "<title>site one</title>" in httpx.get(f"{urls['a']}/index.html").text
        assert "<title>site two</title>" in httpx.get(f"{urls['b']}/index.html").text
        assert httpx.get(f"{urls['a']}/../two/index.html").status_code == 404  # each server its own folder only
    assert all(refused(f"{u}/index.html") for u in urls.values())


class Recorder:
    """A backend that fetches the first URL of each task while it runs, as an app would."""

    name = "recorder"

    def __init__(self):
        self.tasks: list[str] = []

    async def run(self, app: str, task: str, timeout: float, user: str = "") -> Run:
        self.tasks.append(task)
        url = next(w for w in task.split() if w.startswith("http://"))
        async with httpx.AsyncClient() as c:
            page = (await c.get(url)).text
        return Run(exit_reason="exited", result=page)

    async def forget_user(self, user: str) -> None:
        pass


async def test_the_runner_serves_the_sites_for_the_run_and_stops_them_after(tmp_path):
    suite = load_suite(two_sites(tmp_path))
    backend = Recorder()
    outcomes = await run_suite(backend, "app", suite.items[:2], tmp_path, concurrency=1)
    assert [o.answer for o in outcomes] == ["<title>site one</title>", "<title>site two</title>"]
    assert len(backend.tasks) == 3 and not any("{site}" in t for t in backend.tasks)
    assert all(refused(t.split()[1]) for t in backend.tasks)  # served during the run, gone after it
