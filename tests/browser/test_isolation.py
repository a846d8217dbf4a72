"""Owners never share cookies or storage, and release() closes an owner's pages."""
from __future__ import annotations

import pytest

from drivers.errors import DriverError

pytestmark = pytest.mark.anyio


async def test_cookies_and_storage_are_per_owner(driver, site, allow):
    a, b = "iso-a", "iso-b"
    try:
        await driver.open(a, f"{site.url}/basic/second.html", allow)  # sets cookie visited=second
        shot = await driver.open(a, f"{site.url}/shop/index.html", allow)
        add = next(e for e in shot.elements if e.label == "Add Blue mug")
        shot = await driver.click(a, add.index)
        assert "1 item(s) in your cart" in shot.text
        page_a = driver._sessions[a].page
        assert "visited=second" in await page_a.evaluate("document.cookie")

        shot_b = await driver.open(b, f"{site.url}/shop/index.html", allow)
        assert "Your cart is empty" in shot_b.text
        page_b = driver._sessions[b].page
        assert await page_b.evaluate("document.cookie") == ""
        assert await page_b.evaluate("localStorage.getItem('cart')") is None
        assert driver._sessions[a].context is not driver._sessions[b].context
    finally:
        await driver.release(a)
        await driver.release(b)


async def test_release_closes_pages_and_forgets_the_owner(driver, site, allow):
    owner = "rel-1"
    await driver.open(owner, f"{site.url}/basic/index.html", allow)
    session = driver._sessions[owner]
    page = session.page
    await driver.release(owner)
    assert page.is_closed()
    assert owner not in driver.owners()
    with pytest.raises(DriverError) as err:
        await driver.snapshot(owner)
    assert err.value.code == "invalid"
    await driver.release(owner)  # idempotent
    # a new session for the same owner starts clean
    shot = await driver.open(owner, f"{site.url}/shop/index.html", allow)
    assert "Your cart is empty" in shot.text
    await driver.release(owner)
