"""Each browser action against a real Chromium, and the errors it gives."""
from __future__ import annotations

import pytest

from drivers.browser import BrowserDriver
from drivers.errors import DriverError

pytestmark = pytest.mark.anyio


def by_label(shot, label):
    return next(e for e in shot.elements if e.label == label)


async def test_type_and_submit(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    q = by_label(shot, "Query")
    shot = await driver.type(owner, q.index, "cheap flights", submit=True)
    assert "You searched: cheap flights" in shot.text
    assert by_label(shot, "Query").value == "cheap flights"


async def test_type_without_submit_only_fills(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    shot = await driver.type(owner, by_label(shot, "Notes").index, "a note")
    assert by_label(shot, "Notes").value == "a note"
    assert "You searched" not in shot.text


async def test_select_by_label_and_value(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    cabin = by_label(shot, "Cabin").index
    shot = await driver.select(owner, cabin, "Business")
    assert by_label(shot, "Cabin").value == "Business" and "Cabin is biz" in shot.text
    shot = await driver.select(owner, cabin, "eco")
    assert by_label(shot, "Cabin").value == "Economy"
    with pytest.raises(DriverError) as err:
        await driver.select(owner, cabin, "First class")
    assert err.value.code == "invalid" and "Economy" in str(err.value)


async def test_click_checkbox_and_link(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    shot = await driver.click(owner, by_label(shot, "Send me news").index)
    assert by_label(shot, "Send me news").checked is True
    shot = await driver.click(owner, by_label(shot, "Next page").index)
    assert shot.url == f"{site.url}/basic/second.html" and "You made it." in shot.text


async def test_back(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    await driver.click(owner, by_label(shot, "Next page").index)
    shot = await driver.back(owner)
    assert shot.url == f"{site.url}/basic/index.html"
    with pytest.raises(DriverError) as err:
        await driver.back(owner)
    assert err.value.code == "invalid"


async def test_scroll_moves_the_window(driver, owner, site, allow):
    old = driver.max_chars
    driver.max_chars = 1500
    try:
        top = await driver.open(owner, f"{site.url}/basic/long.html", allow)
        down = await driver.scroll(owner, "down")
        down2 = await driver.scroll(owner, "down")
        bottom = await driver.scroll(owner, "bottom")
        up = await driver.scroll(owner, "top")
    finally:
        driver.max_chars = old
    assert "Paragraph 1:" in top.rendering and "Scroll: 0% down" in top.rendering
    assert "Paragraph 1:" not in down2.rendering and "lines above; scroll up" in down2.rendering
    assert down.rendering != top.rendering
    assert "The very end." in bottom.rendering and "Scroll: 100% down" in bottom.rendering
    assert up.rendering == top.rendering
    with pytest.raises(DriverError) as err:
        await driver.scroll(owner, "sideways")
    assert err.value.code == "invalid"


async def test_screenshot_is_png(driver, owner, site, allow):
    await driver.open(owner, f"{site.url}/flights/index.html", allow)
    png = await driver.screenshot(owner)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    full = await driver.screenshot(owner, full_page=True)
    assert full[:8] == b"\x89PNG\r\n\x1a\n"


async def test_extract_text(driver, owner, site, allow):
    await driver.open(owner, f"{site.url}/shop/index.html", allow)
    text = await driver.extract_text(owner)
    assert "Corner Shop" in text and "Desk lamp — $23.00" in text


async def test_stale_index_is_a_clear_error(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    gone = by_label(shot, "Remove me").index
    await driver.click(owner, gone)
    with pytest.raises(DriverError) as err:
        await driver.click(owner, gone)
    assert err.value.code == "stale_index" and f"[{gone}]" in str(err.value)
    # an index from a page we navigated away from is stale too, never another element
    nxt = by_label(shot, "Next page").index
    await driver.click(owner, nxt)
    with pytest.raises(DriverError) as err:
        await driver.click(owner, by_label(shot, "Query").index)
    assert err.value.code == "stale_index"
    with pytest.raises(DriverError) as err:
        await driver.click(owner, 999_999)
    assert err.value.code == "invalid"


async def test_hidden_element_is_a_clear_error(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    victim = by_label(shot, "Victim").index
    shot = await driver.click(owner, by_label(shot, "Hide the victim").index)
    assert not any(e.label == "Victim" for e in shot.elements)
    with pytest.raises(DriverError) as err:
        await driver.click(owner, victim)
    assert err.value.code == "hidden"


async def test_type_into_a_button_is_invalid(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/basic/index.html", allow)
    with pytest.raises(DriverError) as err:
        await driver.type(owner, by_label(shot, "Search").index, "x")
    assert err.value.code == "invalid"


async def test_navigation_timeout_is_a_clear_error(driver, owner, site, allow):
    old = driver.nav_timeout
    driver.nav_timeout = 1.0
    try:
        with pytest.raises(DriverError) as err:
            await driver.open(owner, f"{site.url}/_slow?s=6", allow)
    finally:
        driver.nav_timeout = old
    assert err.value.code == "timeout" and err.value.retryable


async def test_calls_before_open_are_invalid(driver):
    with pytest.raises(DriverError) as err:
        await driver.snapshot("pid-never-opened")
    assert err.value.code == "invalid"


async def test_unavailable_when_no_browser_can_start(site, allow):
    d = BrowserDriver(executable="/nonexistent/chromium")
    try:
        with pytest.raises(DriverError) as err:
            await d.open("p", f"{site.url}/basic/index.html", allow)
        assert err.value.code == "unavailable" and "setup-chromium" in str(err.value)
    finally:
        await d.close()
