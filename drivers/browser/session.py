"""One owner's browsing: an isolated context, its guard, its pages, and the index bookkeeping."""
from __future__ import annotations

import asyncio
import secrets
import time
import urllib.parse
from typing import Any

from ..errors import DriverError
from .allowlist import Allowlist
from .proxy import SocksGuard

FORBIDDEN_SCHEMES = ("data", "blob", "file", "filesystem", "javascript", "chrome", "view-source")
QUIET_S = 0.15  # no request in flight for this long counts as settled


def scheme_of(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower()


class Session:
    """State for one owner.  Create with :meth:`start`; the driver serialises calls with ``lock``."""

    def __init__(self, owner: str, allowlist: Allowlist, guard: SocksGuard):
        self.owner = owner
        self.allowlist = allowlist
        self.guard = guard
        self.context: Any = None
        self.pages: list[Any] = []
        self.page: Any = None
        self.lock = asyncio.Lock()
        self.attr = "data-llmos-" + secrets.token_hex(4)  # a page cannot guess it to forge indices
        self.doc_key = "__llmos_" + secrets.token_hex(4)
        self.next_index = 1
        self.previous: set[int] | None = None
        self.inflight: set[Any] = set()
        self.nav_pending: set[Any] = set()
        self.last_activity = time.monotonic()
        self.blocked: list[tuple[float, str, bool]] = []  # (time, what, was a top-level navigation)
        self.unreported: list[str] = []
        self.notes: list[str] = []
        self.bad_nav: str | None = None
        self.nav_failed: str | None = None  # the active tab's navigation was refused
        self.seen_pages: set[Any] = set()  # pages whose opening has been dealt with
        self._guard_seen = 0

    @classmethod
    async def start(cls, browser: Any, owner: str, allowlist: Allowlist, *, downloads: bool, viewport: dict) -> Session:
        guard = await SocksGuard(allowlist).start()
        s = cls(owner, allowlist, guard)
        try:
            s.context = await browser.new_context(
                proxy={"server": guard.url, "bypass": "<-loopback>"},
                service_workers="block",
                accept_downloads=downloads,
                viewport=viewport,
                locale="en-US",
                timezone_id="UTC",
            )
            await s.context.route("**/*", s._route)
            await s.context.route_web_socket("**/*", s._route_ws)
            s.context.on("page", s._on_page)
            s.context.on("request", s._on_request)
            s.context.on("requestfinished", s._on_done)
            s.context.on("requestfailed", s._on_done)
            s.seen_pages.add(await s.context.new_page())
        except BaseException:
            await s.close()
            raise
        return s

    async def close(self) -> None:
        try:
            if self.context is not None:
                await self.context.close()
        except Exception:  # noqa: BLE001, S110
            pass
        finally:
            self.context = None
            self.pages.clear()
            self.page = None
            await self.guard.close()

    # ---- network guard (the SOCKS guard is the backstop for what routing cannot see)
    def _block(self, what: str, navigation: bool) -> None:
        self.blocked.append((time.monotonic(), what, navigation))
        self.unreported.append(what)

    async def _route(self, route: Any) -> None:
        req = route.request
        try:
            if self.allowlist.allows_url(req.url):
                await route.continue_()
                return
            nav = req.is_navigation_request() and _is_main(req)
            self._block(f"{_clip(req.url)} ({'navigation' if nav else req.resource_type})", nav)
            await route.abort("blockedbyclient")
        except Exception:  # the page or context went away mid-route  # noqa: BLE001, S110
            pass

    async def _route_ws(self, ws: Any) -> None:
        try:
            if self.allowlist.allows_url(ws.url):
                ws.connect_to_server()
            else:
                self._block(f"{_clip(ws.url)} (websocket)", False)
                await ws.close(code=1008, reason="blocked by llmos allowlist")
        except Exception:  # noqa: BLE001, S110
            pass

    def collect_guard_blocks(self) -> None:
        """Move connections the SOCKS guard refused into the blocked log."""
        for t, hostport in self.guard.blocked[self._guard_seen:]:
            self.blocked.append((t, f"{hostport} (connection)", False))
            self.unreported.append(f"{hostport} (connection)")
        self._guard_seen = len(self.guard.blocked)

    # ---- pages and requests
    def _on_page(self, page: Any) -> None:
        self.pages.append(page)
        if self.page is None:
            self.page = page
        page.on("close", self._on_close)
        page.on("framenavigated", lambda frame, page=page: self._on_nav(page, frame))
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)

    def _on_close(self, page: Any) -> None:
        if page in self.pages:
            self.pages.remove(page)
        if self.page is page:
            self.page = self.pages[-1] if self.pages else None

    def _on_nav(self, page: Any, frame: Any) -> None:
        if frame is page.main_frame and scheme_of(frame.url) in FORBIDDEN_SCHEMES:
            self.bad_nav = frame.url
            self._block(f"{_clip(frame.url)} (navigation to a {scheme_of(frame.url)}: URL)", True)

    def _on_console(self, msg: Any) -> None:
        """Chromium itself refuses top-level data: and file: navigations; say so."""
        try:
            text = msg.text
        except Exception:  # noqa: BLE001
            return
        for prefix in ("Not allowed to navigate top frame to data URL", "Not allowed to load local resource"):
            if text.startswith(prefix):
                self._block(f"{_clip(text.split(': ', 1)[-1])} (navigation refused by the browser)", False)

    def _on_dialog(self, dialog: Any) -> None:
        self.notes.append(f"the page showed a {dialog.type} dialog: {_clip(dialog.message, 200)!r} (dismissed)")
        asyncio.ensure_future(_quiet(dialog.dismiss()))

    def _on_request(self, req: Any) -> None:
        self.inflight.add(req)
        self.last_activity = time.monotonic()
        try:
            if req.is_navigation_request() and _is_main(req):
                self.nav_pending.add(req)
        except Exception:  # noqa: BLE001, S110
            pass

    def _on_done(self, req: Any) -> None:
        if req in self.nav_pending:
            try:
                failure = req.failure or ""
                if ("BLOCKED_BY_CLIENT" in failure or "SOCKS" in failure) and req.frame.page is self.page:
                    self.nav_failed = req.url
            except Exception:  # noqa: BLE001, S110
                pass
        self.inflight.discard(req)
        self.nav_pending.discard(req)
        self.last_activity = time.monotonic()

    # ---- waiting for an action's effects
    async def settle(self, nav_timeout: float, cap: float) -> None:
        """Wait until navigation is done and the network is quiet; at most ``cap`` seconds
        for plain requests (a long poll must not hang the agent), ``nav_timeout`` for a
        navigation, after which it is a timeout error."""
        t0 = time.monotonic()
        await asyncio.sleep(0.05)
        while True:
            now = time.monotonic()
            if not self.inflight and now - self.last_activity >= QUIET_S:
                break
            if not self.nav_pending and now - t0 >= cap:
                break
            if self.nav_pending and now - t0 >= nav_timeout:
                url = next(iter(self.nav_pending)).url
                raise DriverError(f"navigation timeout: {_clip(url)} did not load within {nav_timeout:g}s", code="timeout", retryable=True)
            await asyncio.sleep(0.03)
        if self.page is not None:
            try:
                await self.page.wait_for_load_state("domcontentloaded", timeout=max(0.5, nav_timeout - (time.monotonic() - t0)) * 1000)
            except Exception as exc:
                if "Timeout" in type(exc).__name__:
                    raise DriverError(f"navigation timeout: {_clip(self.page.url)} did not finish loading", code="timeout", retryable=True) from exc

    async def check_popups(self, since: float) -> None:
        """Close popups that went nowhere (blocked) and switch to a popup that loaded.
        Also run before each snapshot, for a popup whose opening arrived late."""
        opened = [p for p in self.pages if p not in self.seen_pages]
        self.seen_pages.update(opened)
        self.collect_guard_blocks()
        for p in opened:  # let a popup reach its first page (or its error page)
            await _quiet(p.wait_for_load_state("domcontentloaded", timeout=5000))
            url = p.url
            if url.startswith("chrome-error:") or scheme_of(url) in FORBIDDEN_SCHEMES or (url == "about:blank" and self._blocked_since(since)):
                await _quiet(p.close())
                self.notes.append("a popup window was blocked: its address is off the allowlist")
            elif not p.is_closed():
                self.page = p
                self.notes.append("the action opened a new tab; you are now on it (back returns to the previous tab)")

    async def check_navigation(self, since: float) -> None:
        """After an action: handle popups, then undo and report a top-level navigation
        that was blocked."""
        await self.check_popups(since)
        page = self.page
        if page is None:
            return
        if self.nav_failed:  # the error page may commit a moment after the request fails
            for _ in range(40):
                if page.url.startswith("chrome-error:"):
                    break
                await asyncio.sleep(0.025)
        bad = self.bad_nav or self.nav_failed or (page.url if page.url.startswith("chrome-error:") else None)
        self.bad_nav = self.nav_failed = None
        self.collect_guard_blocks()
        if bad is None:
            return
        navs = [w for t, w, nav in self.blocked if t >= since and nav]
        what = navs[-1] if navs else next((w for t, w, _ in reversed(self.blocked) if t >= since), None)
        await self._recover(page)
        if what is None:
            raise DriverError("navigation failed: the page could not be loaded", code="network", retryable=True)
        raise DriverError(f"blocked: {what} is not on this process's allowlist {self.allowlist.patterns}; the page was not loaded", code="blocked")

    def _blocked_since(self, since: float) -> bool:
        return any(t >= since for t, _, _ in self.blocked)

    async def _recover(self, page: Any) -> None:
        """Leave an error page or a forbidden-scheme page: back if possible, else blank."""
        url = page.url
        if not (url.startswith("chrome-error:") or scheme_of(url) in FORBIDDEN_SCHEMES):
            self.previous = None
            return  # the refused navigation never left the page
        try:
            await page.go_back(timeout=5000)
        except Exception:  # noqa: BLE001, S110
            pass
        url = page.url
        if url.startswith("chrome-error:") or scheme_of(url) in FORBIDDEN_SCHEMES:
            await _quiet(page.goto("about:blank"))
        self.previous = None


def _is_main(req: Any) -> bool:
    try:
        return req.frame.parent_frame is None
    except Exception:  # service-worker requests have no frame  # noqa: BLE001
        return False


def _clip(s: str, n: int = 120) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


async def _quiet(aw: Any) -> None:
    try:
        await aw
    except Exception:  # noqa: BLE001, S110
        pass
