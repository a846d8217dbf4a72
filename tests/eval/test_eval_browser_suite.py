"""The browser suite's expected bookings are the demo site's real cheapest offers, and its checker reads the
site's confirmation: a wrong ``expect`` or a booking of another flight cannot pass."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from llmos.eval.checkers import check
from llmos.eval.suite import SUITES_DIR, SuiteError, load_suite

ROOT = Path(__file__).resolve().parents[2]
FLIGHTS_JS = ROOT / "tests" / "sites" / "flights" / "flights.js"
AIRLINES = ["AU", "BH", "CB", "EW", "FJ"]  # flights.js's AIRLINES codes, in its order
CABINS = ("Premium", "Business")  # the search form's cabins besides the default Economy


def fnv(s: str) -> int:
    """flights.js's ``fnv``: 32-bit FNV-1a over the characters."""
    h = 2166136261
    for c in s:
        h = ((h ^ ord(c)) * 16777619) & 0xFFFFFFFF
    return h


def offers(frm: str, to: str, date: str) -> list[tuple[str, int]]:
    """flights.js's ``flightsFor``, the flight ids and prices: (id, price) per airline."""
    key = f"{frm.strip().upper()}|{to.strip().upper()}|{date.strip()}"
    out = []
    for i, code in enumerate(AIRLINES):
        h = fnv(f"{key}#{i}")
        out.append((f"{code}{100 + h % 900}", 89 + (h >> 8) % 380 + i))
    return out


def cheapest(frm: str, to: str, date: str) -> str:
    return min(offers(frm, to, date), key=lambda o: o[1])[0]


@pytest.fixture(scope="module")
def suite():
    return load_suite("browser")


def test_the_python_reading_of_flights_js_is_the_one_the_docs_show():
    # docs/browser.md's snapshot of Lisbon -> Oslo on 2025-07-01: AU545 $402, BH726 $225
    assert offers("Lisbon", "Oslo", "2025-07-01")[:2] == [("AU545", 402), ("BH726", 225)]
    assert 'AIRLINES = [["Aurora Air", "AU"], ["Blue Heron", "BH"], ["Cobalt Airways", "CB"], ["Eastwind", "EW"], ' \
           '["Fjord Jet", "FJ"]]' in FLIGHTS_JS.read_text()


def test_every_expected_flight_is_the_cheapest_offer_for_its_route_and_date(suite):
    for item in suite.items:
        e = item.expect
        assert e["flight"] == cheapest(e["from"], e["to"], e["date"]), item.id
        prices = sorted(p for _, p in offers(e["from"], e["to"], e["date"]))
        assert prices[0] < prices[1], item.id  # one cheapest, never a tie


def test_every_expected_flight_is_the_cheapest_by_flights_js_itself(suite):
    """The site's own code, run by node over every item, agrees with each stored ``expect``."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed; the Python reading above still checks every item")
    trips = [[i.expect["from"], i.expect["to"], i.expect["date"]] for i in load_suite("browser").items]
    harness = ("const fs = require('fs'); eval(fs.readFileSync(process.argv[1], 'utf8'));"
               "const trips = JSON.parse(fs.readFileSync(0, 'utf8'));"
               "console.log(JSON.stringify(trips.map(t => flightsFor(...t).sort((a, b) => a.price - b.price)[0].id)));")
    out = subprocess.run([node, "-e", harness, str(FLIGHTS_JS)], input=json.dumps(trips), capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert json.loads(out) == [i.expect["flight"] for i in suite.items]


def test_each_item_asks_for_what_its_expect_says(suite):
    for item in suite.items:
        e, task = item.expect, item.task
        assert isinstance(task, str) and task.endswith(" site={site}/index.html"), item.id
        assert re.search(rf"\b{e['from']}\b", task) and re.search(rf"\b{e['to']}\b", task) and e["date"] in task, item.id
        named = [c for c in CABINS if c.lower() in task.lower()]
        assert named == ([e["cabin"]] if "cabin" in e else []), item.id  # travel offers a cabin only if named
        assert (item.category == "cabin") == ("cabin" in e), item.id
        assert (SUITES_DIR / item.site / "results.html").is_file() and item.checker == "python:browser_checks:booked"
    assert len(suite.items) >= 60 and min(sum(i.category == c for i in suite.items) for c in suite.categories) >= 15


def test_no_item_is_one_of_make_eval_travels_requests(suite):
    script = (ROOT / "scripts" / "eval_travel.py").read_text()
    theirs = set(re.findall(r'^\s+"(.+ on \d{4}-\d{2}-\d{2})",$', script, re.MULTILINE))
    assert len(theirs) == 10
    ours = {re.sub(r" site=\S+$", "", i.task) for i in suite.items if isinstance(i.task, str)}
    assert not ours & theirs
    trips = {(i.expect["from"], i.expect["to"], i.expect["date"]) for i in suite.items}
    assert len(trips) == len(suite.items)  # no two items book the same trip


def confirmation(frm: str, to: str, date: str, flight: str, cabin: str = "Economy", **over) -> str:
    """The travel app's result after the site confirmed a booking (the URL carries the booked fields)."""
    q = urllib.parse.urlencode({"from": frm, "to": to, "date": date, "cabin": cabin, "flight": flight,
                                "airline": "Aurora Air", "price": "123", "depart": "07:10", "seat": "middle"})
    result = {"booked": True, "trip": {"from": frm, "to": to, "date": date}, "actions": [],
              "url": f"http://127.0.0.1:4242/confirmation.html?{q}", "title": "SkyLark — booking confirmed",
              "page": "Booking confirmed"}
    result.update(over)
    return json.dumps(result)


def test_the_checker_passes_the_sites_confirmation_of_each_expected_booking(suite):
    for item in suite.items:
        e = item.expect
        assert check(item, confirmation(e["from"].lower(), e["to"], e["date"], e["flight"], e.get("cabin", "Economy")),
                     SUITES_DIR), item.id


def test_the_checker_fails_any_other_booking_or_no_confirmation(suite):
    code = next(i for i in suite.items if i.category == "airport-codes")
    cabin = next(i for i in suite.items if i.category == "cabin")
    e = code.expect
    other = next(f for f, _ in offers(e["from"], e["to"], e["date"]) if f != e["flight"])
    wrong = [
        confirmation(e["from"], e["to"], e["date"], other),  # not the cheapest
        confirmation(e["to"], e["from"], e["date"], e["flight"]),  # route swapped
        confirmation(e["from"], e["to"], "2030-01-01", e["flight"]),  # another date
        confirmation(e["from"], e["to"], e["date"], e["flight"], url="http://127.0.0.1:4242/checkout.html?x=1"),
        confirmation(e["from"], e["to"], e["date"], e["flight"], title="SkyLark — checkout"),
        json.dumps({"booked": False, "reason": "not booked within 14 steps", "actions": []}),
        "I booked it", "[1, 2]", "",
    ]
    for answer in wrong:
        assert not check(code, answer, SUITES_DIR), answer
    c = cabin.expect
    assert check(cabin, confirmation(c["from"], c["to"], c["date"], c["flight"], c["cabin"]), SUITES_DIR)
    assert not check(cabin, confirmation(c["from"], c["to"], c["date"], c["flight"], "Economy"), SUITES_DIR)


@pytest.mark.parametrize("line, message", [
    ({"task": "go to {site}/index.html"}, "the task has {site} but the item names no 'site' folder"),
    ({"task": "go somewhere", "site": "."}, "'site' is given but no turn of the task has {site}"),
    ({"task": "go to {site}/x.html", "site": "no-such-folder"}, "the site folder no-such-folder is not there"),
])
def test_a_bad_site_is_one_line_naming_the_item(tmp_path, line, message):
    suite = tmp_path / "s.jsonl"
    suite.write_text(json.dumps({"id": "a", "category": "c", "expect": "x", "checker": "contains", **line}) + "\n")
    with pytest.raises(SuiteError) as caught:
        load_suite(suite)
    assert str(caught.value).startswith("s.jsonl:1: ") and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_suite_whose_site_is_not_there_is_one_line_from_the_cli(tmp_path, capsys):
    """As in an installed llmos, where the demo site (under tests/) is not shipped next to the suite."""
    from llmos.cli import main
    (tmp_path / "suites").mkdir()
    moved = tmp_path / "suites" / "browser.jsonl"
    moved.write_text((SUITES_DIR / "browser.jsonl").read_text())
    (tmp_path / "suites" / "browser_checks.py").write_text((SUITES_DIR / "browser_checks.py").read_text())
    assert main(["eval", "travel", str(moved), "--approve", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("llmos eval: browser.jsonl:1: the site folder ../../../tests/sites/flights is not there")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and not (tmp_path / "r").exists()


def test_travel_can_read_every_request(suite):
    """No item is impossible by construction: travel's reading of the request (its options, the place
    words and ISO dates the model then chooses among) holds the expected trip and the site option."""
    from apps.travel.request import options, place_words
    for item in suite.items:
        request, opts = options(item.task.replace("{site}", "http://127.0.0.1:1"))
        assert opts == {"site": "http://127.0.0.1:1/index.html"}, item.id
        places = place_words(request)
        assert item.expect["from"] in places and item.expect["to"] in places, (item.id, places)
        assert re.findall(r"\b\d{4}-\d{2}-\d{2}\b", request) == [item.expect["date"]], item.id
