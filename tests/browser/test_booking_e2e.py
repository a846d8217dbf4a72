"""A scripted agent books the cheapest flight with an aisle seat through driver calls only."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.anyio


def find(shot, kind, pattern):
    for e in shot.elements:
        if e.kind == kind and re.search(pattern, e.label, re.IGNORECASE):
            return e
    raise AssertionError(f"no {kind} matching {pattern!r} in:\n{shot.rendering}")


async def test_book_the_cheapest_flight_with_an_aisle_seat(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/flights/index.html", allow)
    assert shot.title == "SkyLark — search flights"
    await driver.type(owner, find(shot, "input", "^From").index, "Lisbon")
    await driver.type(owner, find(shot, "input", "^To").index, "Oslo")
    await driver.select(owner, find(shot, "select", "Cabin").index, "Economy")
    shot = await driver.type(owner, find(shot, "input", "^Date").index, "2025-07-01", submit=True)

    # results: read prices from the rendering, the way the model would
    assert shot.title == "SkyLark — results"
    assert "Flights from Lisbon to Oslo on 2025-07-01" in shot.rendering
    offers = re.findall(r"^(.*) (\w\w\d+) · .*\$(\d+)\n\[(\d+)\] link \"Select \2\"", shot.rendering, re.MULTILINE)
    assert len(offers) == 5, shot.rendering
    prices = [int(p) for _, _, p, _ in offers]
    assert len(set(prices)) == 5  # distinct, so "cheapest" is well defined
    airline, flight, price, index = min(offers, key=lambda o: int(o[2]))
    shot = await driver.click(owner, int(index))

    assert shot.title == "SkyLark — choose a seat" and flight in shot.text
    shot = await driver.click(owner, find(shot, "radio", "^Aisle$").index)
    assert find(shot, "radio", "^Aisle$").checked
    shot = await driver.click(owner, find(shot, "button", "Continue to checkout").index)

    assert shot.title == "SkyLark — checkout"
    assert "aisle" in shot.text and f"${price}" in shot.text
    shot = await driver.click(owner, find(shot, "button", "Confirm booking").index)

    assert shot.title == "SkyLark — booking confirmed"
    ref = re.search(r"Booking reference: (SL-[A-Z0-9]{6})", shot.text)
    assert ref, shot.text
    assert f"{airline.strip()} {flight}, Lisbon → Oslo on 2025-07-01, aisle seat, paid ${price}." in shot.text
    # deterministic: the same booking gives the same reference
    again = await driver.open(owner, shot.url, allow)
    assert ref.group(1) in again.text


async def test_results_are_deterministic(driver, owner, site, allow):
    url = f"{site.url}/flights/results.html?from=Lisbon&to=Oslo&date=2025-07-01&cabin=Economy"
    a = await driver.open(owner, url, allow)
    b = await driver.open(owner, url, allow)
    assert a.text == b.text and "$" in a.text


async def test_shop_add_and_cart(driver, owner, site, allow):
    shot = await driver.open(owner, f"{site.url}/shop/index.html", allow)
    shot = await driver.click(owner, find(shot, "button", "Add Desk lamp").index)
    shot = await driver.click(owner, find(shot, "button", "Add Blue mug").index)
    view = find(shot, "link", "View cart")
    shot = await driver.click(owner, view.index)
    assert shot.title == "Corner Shop — cart"
    assert "Total: $31.50" in shot.text
    shot = await driver.click(owner, find(shot, "button", "Remove Blue mug").index)
    assert "Total: $23.00" in shot.text
