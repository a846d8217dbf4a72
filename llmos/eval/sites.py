"""The demo sites a suite's items browse: each ``site`` folder served on loopback for one run, ``{site}`` in a task its URL."""
from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import msgspec

from .suite import SITE, Item


class QuietStatic(http.server.SimpleHTTPRequestHandler):
    """Static files; nothing cached (a page is read fresh on every visit), nothing logged to the terminal."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class Site:
    """One folder served over HTTP on 127.0.0.1 at a free port, on a thread of its own, until ``close``."""

    def __init__(self, folder: Path):
        self.folder = folder
        handler = functools.partial(QuietStatic, directory=str(folder))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"eval-site-{port}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def place(item: Item, url: str) -> Item:
    """The item with every ``{site}`` of its task replaced by ``url``."""
    task = item.task.replace(SITE, url) if isinstance(item.task, str) else [t.replace(SITE, url) for t in item.task]
    return msgspec.structs.replace(item, task=task)


@contextlib.contextmanager
def serving(items: list[Item], folder: Path) -> Iterator[list[Item]]:
    """Serve each distinct ``site`` folder of ``items`` (relative to ``folder``, the suite's) once, and
    yield the items with their URLs in place; every server is stopped when the block ends."""
    sites: dict[Path, Site] = {}
    try:
        for item in items:
            if item.site:
                path = (folder / item.site).resolve()
                if path not in sites:
                    sites[path] = Site(path)
        yield [place(i, sites[(folder / i.site).resolve()].url) if i.site else i for i in items]
    finally:
        for s in sites.values():
            s.close()
