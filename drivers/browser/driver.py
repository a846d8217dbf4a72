"""BrowserDriver: one Chromium per kernel, one isolated context per owner, actions that return snapshots."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from ..errors import DriverError
from . import snapshot as snap
from .allowlist import Allowlist
from .launch import launch
from .session import FORBIDDEN_SCHEMES, Session, scheme_of

Snapshot = snap.Snapshot
DIRECTIONS = ("down", "up", "top", "bottom")


class BrowserDriver:
    """The browser for every process.  ``owner`` is a process id string.  Each method
    raises :class:`DriverError` with code ``unavailable``, ``invalid``, ``stale_index``,
    ``hidden``, ``blocked``, ``timeout``, ``network`` or ``closed``."""

    def __init__(
        self,
        *,
        executable: str | None = None,
        max_chars: int = 6000,
        count_tokens: Callable[[str], int] | None = None,
        max_tokens: int | None = None,
        nav_timeout: float = 15.0,
        action_timeout: float = 5.0,
        settle_cap: float = 2.0,
        viewport: tuple[int, int] = (1280, 800),
        max_extract_chars: int = 200_000,
        headless: bool = True,
    ):
        self.executable = executable
        self.max_chars, self.count_tokens, self.max_tokens = max_chars, count_tokens, max_tokens
        self.nav_timeout, self.action_timeout, self.settle_cap = nav_timeout, action_timeout, settle_cap
        self.viewport = {"width": viewport[0], "height": viewport[1]}
        self.max_extract_chars = max_extract_chars
        self.headless = headless
        self._pw: Any = None
        self._browser: Any = None
        self._sessions: dict[str, Session] = {}
        self._launch_lock = asyncio.Lock()

    # ---- lifecycle
    async def _ensure_browser(self) -> Any:
        async with self._launch_lock:
            if self._browser is None or not self._browser.is_connected():
                await self._stop_playwright()  # a crashed browser's driver process would outlive it
                self._pw, self._browser = await launch(self.executable, self.headless)
                self._browser.on("disconnected", lambda _b: self._lost())
            return self._browser

    async def _stop_playwright(self) -> None:
        pw, self._pw = self._pw, None
        if pw is not None:
            try:
                await asyncio.wait_for(pw.stop(), 10)
            except Exception:  # noqa: BLE001, S110 - already gone or wedged: a new one starts either way
                pass

    def _lost(self) -> None:
        """Chromium died: forget its contexts; the next call starts a new one."""
        self._browser = None
        for s in self._sessions.values():
            asyncio.ensure_future(s.guard.close())
        self._sessions.clear()

    async def _session(self, owner: str, allow: list[str] | None = None, downloads: bool = False,
                       within: Sequence[Sequence[str]] = ()) -> Session:
        s = self._sessions.get(owner)
        if s is not None and s.context is not None:
            if allow is not None and [list(allow), *map(list, within)] != s.allowlist.key():
                s.allowlist = s.guard.allowlist = Allowlist(allow, within=within)
            return s
        if allow is None:
            raise DriverError(f"no browser session for {owner!r}: call open(url) first", code="invalid")
        allowlist = Allowlist(allow, within=within)  # parse before launching anything
        browser = await self._ensure_browser()
        s = await Session.start(browser, owner, allowlist, downloads=downloads, viewport=self.viewport)
        self._sessions[owner] = s
        return s

    def owners(self) -> list[str]:
        return list(self._sessions)

    async def release(self, owner: str) -> None:
        """Close the owner's pages and destroy its context (cookies, storage, cache)."""
        s = self._sessions.pop(owner, None)
        if s is not None:
            await s.close()

    async def close(self) -> None:
        for owner in list(self._sessions):
            await self.release(owner)
        browser, pw, self._browser, self._pw = self._browser, self._pw, None, None
        for closer in (browser and browser.close(), pw and pw.stop()):
            if closer is not None:
                try:
                    await closer
                except Exception:  # noqa: BLE001, S110
                    pass

    # ---- the actions
    async def open(self, owner: str, url: str, allow: list[str], *, downloads: bool = False,
                   within: Sequence[Sequence[str]] = ()) -> Snapshot:
        """Go to ``url`` in the owner's current tab; ``allow`` is its origin allowlist, and every
        list in ``within`` (its ancestors' allowlists) must allow each origin as well."""
        allowlist = Allowlist(allow, within=within)
        if scheme_of(url) in FORBIDDEN_SCHEMES or scheme_of(url) not in ("http", "https"):
            raise DriverError(f"blocked: only http and https pages can be opened, not {url[:80]!r}", code="blocked")
        if not allowlist.allows_url(url):
            raise DriverError(f"blocked: {url[:120]} is not on this process's allowlist {allowlist.patterns}", code="blocked")
        s = await self._session(owner, allow, downloads, within)

        async def go(s: Session) -> None:
            if s.page is None:
                s.seen_pages.add(await s.context.new_page())
            try:
                await s.page.goto(url, wait_until="domcontentloaded", timeout=self.nav_timeout * 1000)
            except Exception as exc:  # noqa: BLE001
                _raise_nav(exc, url)

        return await self._act(s, go)

    async def snapshot(self, owner: str) -> Snapshot:
        s = await self._session(owner)
        async with s.lock:
            return await self._snap(s)

    async def click(self, owner: str, index: int) -> Snapshot:
        async def do(s: Session) -> None:
            el = await self._locate(s, index)
            await self._pw_call(el.click(timeout=self.action_timeout * 1000), index, "click")

        return await self._act(await self._session(owner), do)

    async def type(self, owner: str, index: int, text: str, submit: bool = False) -> Snapshot:
        async def do(s: Session) -> None:
            el = await self._locate(s, index)
            editable = await el.evaluate(
                "e => (e.tagName === 'INPUT' && !['checkbox','radio','submit','button','reset','image','file','hidden'].includes(e.type))"
                " || e.tagName === 'TEXTAREA' || e.isContentEditable"
            )
            if not editable:
                raise DriverError(f"element [{index}] is not a text field; use click or select", code="invalid")
            await self._pw_call(el.fill(text, timeout=self.action_timeout * 1000), index, "type into")
            if submit:
                await self._pw_call(el.press("Enter", timeout=self.action_timeout * 1000), index, "submit")

        return await self._act(await self._session(owner), do)

    async def select(self, owner: str, index: int, option: str) -> Snapshot:
        async def do(s: Session) -> None:
            el = await self._locate(s, index)
            options = await el.evaluate("e => e.tagName === 'SELECT' ? Array.from(e.options).map(o => [o.value, o.text.trim()]) : null")
            if options is None:
                raise DriverError(f"element [{index}] is not a select; use click for checkboxes, radios and buttons", code="invalid")
            want = option.strip().casefold()
            match = next((v for v, t in options if t.casefold() == want), None)
            match = match if match is not None else next((v for v, t in options if v.casefold() == want), None)
            if match is None:
                raise DriverError(f"select [{index}] has no option {option!r}; options: {[t for _, t in options]}", code="invalid")
            await self._pw_call(el.select_option(value=match, timeout=self.action_timeout * 1000), index, "select")

        return await self._act(await self._session(owner), do)

    async def scroll(self, owner: str, direction: str = "down") -> Snapshot:
        if direction not in DIRECTIONS:
            raise DriverError(f"scroll direction must be one of {DIRECTIONS}, not {direction!r}", code="invalid")
        js = {"down": "window.scrollBy(0, window.innerHeight * 0.8)", "up": "window.scrollBy(0, -window.innerHeight * 0.8)",
              "top": "window.scrollTo(0, 0)", "bottom": "window.scrollTo(0, document.documentElement.scrollHeight)"}[direction]

        async def do(s: Session) -> None:
            await s.page.evaluate(js)

        return await self._act(await self._session(owner), do)

    async def back(self, owner: str) -> Snapshot:
        async def do(s: Session) -> None:
            page, before = s.page, s.page.url
            try:
                await page.go_back(timeout=self.nav_timeout * 1000, wait_until="domcontentloaded")
            except Exception as exc:  # noqa: BLE001
                _raise_nav(exc, "the previous page")
            if page.url == "about:blank" and before != "about:blank":  # the tab's blank start
                await page.go_forward(timeout=self.nav_timeout * 1000, wait_until="domcontentloaded")
            if page.url in (before, "about:blank"):
                opener = await page.opener() if len(s.pages) > 1 else None
                if opener is None:
                    raise DriverError("there is no previous page to go back to", code="invalid")
                await page.close()
                s.page = opener

        return await self._act(await self._session(owner), do)

    async def extract_text(self, owner: str) -> str:
        """All visible text of the current page, for the kernel's LLM-based extract."""
        s = await self._session(owner)
        async with s.lock:
            page = self._page(s)
            text = await self._pw_call(page.evaluate("document.body ? document.body.innerText : ''"), None, "read")
            return text[: self.max_extract_chars]

    async def screenshot(self, owner: str, full_page: bool = False) -> bytes:
        """The current viewport (or whole page) as PNG bytes."""
        s = await self._session(owner)
        async with s.lock:
            page = self._page(s)
            return await self._pw_call(page.screenshot(type="png", full_page=full_page, timeout=self.nav_timeout * 1000), None, "screenshot")

    # ---- plumbing
    async def _act(self, s: Session, action: Callable[[Session], Awaitable[None]]) -> Snapshot:
        async with s.lock:
            since = time.monotonic()
            s.nav_failed = s.bad_nav = None
            if s.page is not None and s.page.is_closed():
                s.page = s.pages[-1] if s.pages else None
            if s.page is None:
                s.seen_pages.add(await s.context.new_page())
            await action(s)
            await s.settle(self.nav_timeout, self.settle_cap)
            await s.check_navigation(since)
            return await self._snap(s)

    async def _snap(self, s: Session) -> Snapshot:
        await s.check_popups(time.monotonic() - 5.0)
        page = self._page(s)
        raw = await self._pw_call(snap.collect(page, s.attr, s.doc_key, s.next_index), None, "read")
        s.next_index = raw["next"]
        s.collect_guard_blocks()
        previous = None if raw["fresh"] else s.previous
        shot = snap.build(
            raw, previous=previous, blocked=s.unreported, notes=s.notes, max_chars=self.max_chars,
            count_tokens=self.count_tokens, max_tokens=self.max_tokens, allowed=s.allowlist.allows_url,
        )
        s.previous = {e.index for e in shot.elements}
        s.unreported, s.notes = [], []
        return shot

    def _page(self, s: Session) -> Any:
        if s.page is None or s.page.is_closed():
            s.page = s.pages[-1] if s.pages else None
        if s.page is None:
            raise DriverError("this process has no open page: call open(url)", code="invalid")
        return s.page

    async def _locate(self, s: Session, index: int) -> Any:
        if not isinstance(index, int) or index < 1 or index >= s.next_index:
            raise DriverError(f"no element has index [{index}]; use an index from the latest snapshot", code="invalid")
        loc = self._page(s).locator(f'[{s.attr}="{index}"]')
        if await loc.count() == 0:
            raise DriverError(f"stale index: element [{index}] is no longer on the page; take a new snapshot", code="stale_index")
        loc = loc.first
        if not await loc.is_visible():
            raise DriverError(f"element [{index}] is hidden (not visible on the page); take a new snapshot", code="hidden")
        return loc

    async def _pw_call(self, aw: Awaitable[Any], index: int | None, verb: str) -> Any:
        try:
            return await aw
        except DriverError:
            raise
        except Exception as exc:
            msg = str(exc)
            what = f"element [{index}]" if index is not None else "the page"
            if "intercepts pointer events" in msg or "not visible" in msg or "outside of the viewport" in msg:
                raise DriverError(f"could not {verb} {what}: it is hidden or covered by another element", code="hidden") from exc
            if "Timeout" in type(exc).__name__:
                raise DriverError(f"could not {verb} {what}: timed out", code="timeout", retryable=True) from exc
            if "closed" in msg.lower() or "detached" in msg.lower():
                raise DriverError(f"could not {verb} {what}: the page was closed or changed", code="closed", retryable=True) from exc
            raise DriverError(f"could not {verb} {what}: {msg.splitlines()[0] if msg else type(exc).__name__}", code="invalid") from exc


def _raise_nav(exc: Exception, url: str) -> None:
    msg = str(exc)
    if "Timeout" in type(exc).__name__:
        raise DriverError(f"navigation timeout: {url[:120]} did not load in time", code="timeout", retryable=True) from exc
    if "ERR_BLOCKED_BY_CLIENT" in msg or "ERR_SOCKS_CONNECTION_FAILED" in msg:
        return  # check_navigation reports what was blocked and restores the page
    if "interrupted by another navigation" in msg or "ERR_ABORTED" in msg:
        return
    first = msg.splitlines()[0] if msg else type(exc).__name__
    raise DriverError(f"navigation to {url[:120]} failed: {first}", code="network", retryable=True) from exc
