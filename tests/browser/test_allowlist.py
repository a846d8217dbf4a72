"""The allowlist holds at the network layer: foreign servers must see no request at all."""
from __future__ import annotations

import asyncio

import pytest

from drivers.browser import Allowlist
from drivers.errors import DriverError

pytestmark = pytest.mark.anyio


def by_label(shot, label):
    return next(e for e in shot.elements if e.label == label)


async def test_open_refuses_urls_off_the_allowlist(driver, owner, foreign, allow):
    for url in (f"{foreign.url}/basic/index.html", "data:text/html,<h1>x</h1>", "file:///etc/passwd", "javascript:alert(1)"):
        with pytest.raises(DriverError) as err:
            await driver.open(owner, url, allow)
        assert err.value.code == "blocked"
    assert foreign.hits == [] and foreign.connections == 0


async def test_redirect_to_another_origin_is_blocked(driver, owner, site, foreign, allow):
    with pytest.raises(DriverError) as err:
        await driver.open(owner, f"{site.url}/_redirect?to={foreign.url}/basic/index.html", allow)
    assert err.value.code == "blocked" and foreign.origin in str(err.value)
    assert foreign.hits == [] and foreign.connections == 0
    # the tab is left usable, not on an error page
    shot = await driver.snapshot(owner)
    assert not shot.url.startswith("chrome-error")


async def test_redirect_chain_through_an_allowed_hop_is_blocked(driver, owner, site, foreign_port, allow):
    # allowed -> allowed -> foreign: Playwright routing never sees the second hop
    inner = f"/_redirect%3Fto%3D{foreign_port.url}/basic/index.html"
    with pytest.raises(DriverError) as err:
        await driver.open(owner, f"{site.url}/_redirect?to={inner}", allow)
    assert err.value.code == "blocked"
    assert foreign_port.hits == [] and foreign_port.connections == 0


async def test_redirect_within_the_allowlist_works(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/_redirect?to=/basic/second.html", allow)
    assert shot.url == f"{site.url}/basic/second.html"


async def test_link_to_another_origin_is_blocked(driver, owner, site, foreign, allow):
    await driver.open(owner, f"{site.url}/basic/index.html", allow)
    # the page is told to navigate away by script: the driver must still block it
    s = driver._sessions[owner]
    await s.page.evaluate(f"document.querySelector('a').href = '{foreign.url}/basic/second.html'")
    shot = await driver.snapshot(owner)
    link = by_label(shot, "Next page")
    assert "(off-allowlist)" in shot.rendering
    with pytest.raises(DriverError) as err:
        await driver.click(owner, link.index)
    assert err.value.code == "blocked"
    assert foreign.hits == [] and foreign.connections == 0
    shot = await driver.snapshot(owner)
    assert shot.url == f"{site.url}/basic/index.html"


async def test_data_url_link_is_blocked(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/security/data_link.html", allow)
    assert "(blocked scheme)" in shot.rendering
    shot = await driver.click(owner, by_label(shot, "Open data page").index)
    assert shot.url == f"{site.url}/security/data_link.html" and shot.title != "DATA"
    assert any("data:" in b for b in shot.blocked)
    shot = await driver.click(owner, by_label(shot, "Go to data page by script").index)
    assert shot.url.startswith("http") and "data page" not in shot.text


async def test_file_url_link_is_blocked(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/security/file_link.html", allow)
    shot = await driver.click(owner, by_label(shot, "Read passwd").index)
    assert shot.url == f"{site.url}/security/file_link.html"
    assert "root:" not in shot.text
    assert any("file:///etc/passwd" in b for b in shot.blocked)


async def test_blob_url_navigation_is_blocked(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/security/blob_link.html", allow)
    with pytest.raises(DriverError) as err:
        await driver.click(owner, by_label(shot, "Open blob page").index)
    assert err.value.code == "blocked" and "blob:" in str(err.value)
    shot = await driver.snapshot(owner)
    assert shot.url == f"{site.url}/security/blob_link.html" and "blob page" not in shot.text


async def test_window_open_of_a_foreign_page_is_blocked(driver, owner, site, foreign, allow):
    shot = await driver.open(owner, f"{site.url}/security/popup.html?target={foreign.url}/basic/index.html", allow)
    shot = await driver.click(owner, by_label(shot, "Show offers").index)
    assert shot.url.startswith(f"{site.url}/security/popup.html")
    blocked, notes = list(shot.blocked), list(shot.notes)
    if not any("popup" in n for n in notes):  # on a loaded machine the popup may open after the click settled
        await asyncio.sleep(1.0)
        later = await driver.snapshot(owner)
        blocked, notes = blocked + later.blocked, notes + later.notes
    assert any(foreign.origin in b for b in blocked), (blocked, notes)
    assert any("popup" in n for n in notes), (blocked, notes)
    assert len(driver._sessions[owner].pages) == 1
    assert foreign.hits == [] and foreign.connections == 0


async def test_window_open_within_the_allowlist_switches_tab(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/security/popup.html?target={site.url}/basic/second.html", allow)
    shot = await driver.click(owner, by_label(shot, "Show offers").index)
    assert shot.url == f"{site.url}/basic/second.html" and any("new tab" in n for n in shot.notes)
    shot = await driver.back(owner)  # closes the popup, back on the opener
    assert shot.url.startswith(f"{site.url}/security/popup.html")


async def test_fetch_xhr_image_and_beacon_to_a_foreign_port_are_blocked(driver, owner, site, foreign_port, allow):
    shot = await driver.open(owner, f"{site.url}/security/exfil.html?target={foreign_port.url}", allow)
    await asyncio.sleep(0.3)
    shot = await driver.snapshot(owner)
    assert "fetch failed" in shot.text
    assert foreign_port.hits == [] and foreign_port.connections == 0
    kinds = " ".join(shot.blocked) if shot.blocked else ""
    assert "fetch" in kinds or "fetch" in " ".join(x for _, x, _ in driver._sessions[owner].blocked)


async def test_iframe_from_a_foreign_origin_is_blocked(driver, owner, site, foreign, allow):
    shot = await driver.open(owner, f"{site.url}/security/iframe.html?target={foreign.url}", allow)
    assert any(foreign.origin in b for b in shot.blocked)
    assert "framed content" not in shot.text
    assert foreign.hits == [] and foreign.connections == 0


async def test_websocket_to_a_foreign_origin_is_blocked(driver, owner, site, foreign, allow):
    await driver.open(owner, f"{site.url}/security/websocket.html?target={foreign.url}", allow)
    await asyncio.sleep(0.3)
    shot = await driver.snapshot(owner)
    assert "ws open" not in shot.text
    assert foreign.hits == [] and foreign.connections == 0


async def test_service_workers_never_control_a_page(driver, owner, site, allow):
    await driver.open(owner, f"{site.url}/security/service_worker.html", allow)
    await driver.open(owner, f"{site.url}/security/service_worker.html", allow)
    page = driver._sessions[owner].page
    assert await page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.controller : null") is None


def test_allowlist_patterns():
    a = Allowlist(["127.0.0.1:8000", "*.example.com", "https://secure.org"])
    assert a.allows_url("http://127.0.0.1:8000/x")
    assert not a.allows_url("http://127.0.0.1:8001/x")
    assert not a.allows_url("http://127.0.0.2:8000/x")
    assert a.allows_url("https://shop.example.com/") and not a.allows_url("https://example.com/")
    assert not a.allows_url("https://shop.example.com:8443/")
    assert a.allows_url("https://secure.org/") and not a.allows_url("http://secure.org/")
    for url in ("data:text/html,x", "file:///etc/passwd", "blob:http://127.0.0.1:8000/x", "javascript:1"):
        assert not a.allows_url(url)
    assert a.allows_socket("127.0.0.1", 8000) and not a.allows_socket("127.0.0.1", 8001)
    assert not Allowlist([]).allows_url("http://127.0.0.1:8000/")
    for bad in ("ftp://x", "a*b.com", "x:99999", ""):
        with pytest.raises(DriverError):
            Allowlist([bad])
