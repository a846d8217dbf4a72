"""The manifest's allowlist holds for a process's syscalls: foreign servers see no request at all."""
from __future__ import annotations

import asyncio
import re

import pytest

from syscalls.errors import SyscallError

pytestmark = pytest.mark.anyio


def index_of(page, pattern: str) -> int:
    m = re.search(r"\*?\[(\d+)\] " + pattern, page.text)
    assert m, f"no element matching {pattern!r} in:\n{page.text}"
    return int(m.group(1))


async def blocked(call) -> SyscallError:
    with pytest.raises(SyscallError) as err:
        await call
    assert err.value.code == "blocked", err.value
    return err.value


async def test_redirect_to_another_loopback_address_is_blocked(surf, site, foreign):
    _, sys = await surf()
    err = await blocked(sys.browser.open(f"{site.url}/_redirect?to={foreign.url}/basic/index.html"))
    assert foreign.origin in err.message
    assert foreign.hits == [] and foreign.connections == 0
    page = await sys.browser.snapshot()  # the tab is usable, not on an error page
    assert not page.url.startswith("chrome-error")


async def test_redirect_to_another_port_is_blocked(surf, site, foreign_port):
    _, sys = await surf()
    await blocked(sys.browser.open(f"{site.url}/_redirect?to={foreign_port.url}/basic/index.html"))
    assert foreign_port.hits == [] and foreign_port.connections == 0


async def test_data_url_is_blocked(surf, site):
    _, sys = await surf()
    await blocked(sys.browser.open("data:text/html,<title>DATA</title><h1>x</h1>"))
    page = await sys.browser.open(f"{site.url}/security/data_link.html")
    page = await sys.browser.click(index_of(page, 'link "Open data page"'))  # Chromium refuses it itself
    assert page.title == "Data link" and page.url.endswith("/security/data_link.html")
    assert re.search(r"Blocked \(off the allowlist, not loaded\): data:", page.text)
    page = await sys.browser.click(index_of(page, 'button "Go to data page by script"'))
    assert page.url.endswith("/security/data_link.html") and page.title == "Data link"


async def test_link_to_etc_passwd_is_blocked(surf, site):
    _, sys = await surf()
    await blocked(sys.browser.open("file:///etc/passwd"))
    page = await sys.browser.open(f"{site.url}/security/file_link.html")
    assert "(blocked scheme)" in page.text
    page = await sys.browser.click(index_of(page, 'link "Read passwd"'))
    assert "root:" not in page.text and page.title == "File link"
    assert re.search(r"Blocked \(off the allowlist, not loaded\): file:///etc/passwd", page.text)


async def test_script_opening_a_foreign_page_is_blocked(surf, site, foreign):
    _, sys = await surf()
    page = await sys.browser.open(f"{site.url}/security/popup.html?target={foreign.url}/basic/index.html")
    page = await sys.browser.click(index_of(page, 'button "Show offers"'))
    assert page.title == "Popup"  # still on the opener
    assert "popup window was blocked" in page.text or foreign.origin in page.text
    assert foreign.hits == [] and foreign.connections == 0


async def test_fetch_to_a_foreign_port_on_127_0_0_1_is_blocked(surf, site, foreign_port):
    _, sys = await surf()
    page = await sys.browser.open(f"{site.url}/security/exfil.html?target={foreign_port.url}")
    seen = page.text
    for _ in range(20):
        if "fetch failed" in page.text:
            break
        await asyncio.sleep(0.1)
        page = await sys.browser.snapshot()
        seen += page.text
    assert "fetch failed" in page.text
    assert re.search(r"Blocked \(off the allowlist, not loaded\): .*" + re.escape(foreign_port.url) + r"/fetch", seen)
    assert foreign_port.hits == [] and foreign_port.connections == 0
