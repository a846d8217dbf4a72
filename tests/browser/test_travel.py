"""The bundled travel app, end to end through the kernel, on a scripted model that follows its prompt."""
from __future__ import annotations

import json
import re

import pytest

from apps import AppRegistry
from apps.travel import page as pg
from apps.travel.request import options, place_words
from kernel import Kernel, KernelConfig
from kernel.api import memapi
from kernel.api import messages as api
from tests.browser.travel_oracle import travel_model

pytestmark = pytest.mark.anyio
TRIP = {"from": "SFO", "to": "JFK", "date": "2027-03-02"}
TASK = "book me a flight from SFO to JFK on 2027-03-02"


class Desk:
    """The person at the shell: answers user.confirm with ``answer`` and keeps the questions."""

    def __init__(self):
        self.answer, self.asked = "yes", []

    async def __call__(self, proc, kind, text):
        self.asked.append(text)
        return self.answer


@pytest.fixture(scope="module")
async def travel_kernel(chromium, tmp_path_factory):
    """One kernel (one Chromium) for this module's bookings, on the oracle model."""
    k = Kernel(KernelConfig(home=str(tmp_path_factory.mktemp("travel") / "home"), subsystems=["browser"]),
               engine=travel_model(TRIP), registry=AppRegistry(), person=Desk())
    async with k:
        yield k


@pytest.fixture
def tk(travel_kernel):
    travel_kernel.person.answer, travel_kernel.person.asked = "yes", []
    travel_kernel.engine.prefs = None
    travel_kernel.engine.requests.clear()
    return travel_kernel


async def book(k, site, task=TASK):
    pid = await k.spawn("travel", f"{task} site={site.url}/flights/index.html")
    proc = await k.wait(pid, timeout=120)
    assert proc.exit_status == 0, (proc.exit_reason, proc.error)
    return json.loads(proc.result), k.person.asked


def cheapest(page_text: str, airline: str = "") -> tuple[str, int]:
    offers = [(m.group(1), m.group(2), int(m.group(3))) for m in
              re.finditer(r"^(.+?) (\w\w\d+) · .*\$(\d+)$", page_text, re.MULTILINE)]
    liked = [o for o in offers if airline and o[0] == airline] or offers
    _name, flight, price = min(liked, key=lambda o: o[2])
    return flight, price


async def results_text(driver, site):
    shot = await driver.open("oracle", f"{site.url}/flights/results.html?from=SFO&to=JFK&date=2027-03-02&cabin=Economy",
                             [site.origin])
    await driver.release("oracle")
    return shot.rendering


def test_task_options_and_place_words():
    request, opts = options(f"{TASK} site=http://127.0.0.1:9/flights/ max_steps=3")
    assert request == TASK and opts == {"site": "http://127.0.0.1:9/flights/", "max_steps": "3"}
    assert place_words(TASK) == ["SFO", "JFK"]
    assert place_words("Please fly me from Lisbon to New York on 2027-01-01")[:2] == ["Lisbon", "New"]


def test_candidates_offer_only_the_request_facts():
    text = ('<untrusted source="browser">\nPage: x\n---\n[1] input "From" name=from value="SFO"\n'
            '[2] input "To" name=to value=""\n[3] select "Cabin" options=[Economy, Business]\n'
            "Aurora Air AU1 · $99\n[4] link \"Select AU1\" -> /s\n[5] button \"Off\" disabled\n</untrusted>")
    acts = [a.text for a in pg.candidates(text, ["SFO", "JFK"], set(), "fly SFO to JFK in business")]
    assert acts == ["type 'JFK' into [2] To", "select 'Business' in [3] Cabin",
                    "click [4] link Select AU1 (Aurora Air AU1 · $99)"]
    left = pg.candidates(text, ["SFO"], {"click [4] link Select AU1 (Aurora Air AU1 · $99)"}, "no cabin named")
    assert pg.schema(left)["properties"]["action"]["enum"] == ["done: nothing left to do on this page"]


async def test_books_the_cheapest_flight_with_approval(tk, site):
    engine = tk.engine
    result, asked = await book(tk, site)
    flight, price = cheapest(await results_text(tk.browser, site))
    assert result["booked"], result
    assert result["title"] == "SkyLark — booking confirmed"
    assert re.search(r"Booking reference: SL-[A-Z0-9]{6}", result["page"])
    assert f"{flight}, SFO → JFK on 2027-03-02" in result["page"] and f"paid ${price}." in result["page"]
    assert len(asked) == 1 and f"Confirm booking and pay ${price}" in asked[0]
    # every model call was decoded under a schema
    assert all(r.json_schema is not None for r in engine.requests)
    assert "confirmation.html" in " ".join(site.hits)


async def test_declined_approval_books_nothing(tk, site):
    site.reset()
    tk.person.answer = "no"
    result, asked = await book(tk, site)
    assert not result["booked"] and "did not approve" in result["reason"]
    assert len(asked) == 1
    assert not any("confirmation.html" in h for h in site.hits)


async def test_remembered_preferences_are_honoured(chromium, site, tmp_path):
    """The person's preferences live in the kernel's real memory (chromadb on disk); the app recalls them."""
    k = Kernel(KernelConfig(home=str(tmp_path / "home"), subsystems=["browser", "memory"]),
               engine=travel_model(TRIP), registry=AppRegistry(), person=Desk())
    async with k:
        for text in ("I prefer window seats", "I like flying Eastwind"):
            await memapi.handle(k, api.MemStore(text=text, kind="preference"))
        k.engine.prefs = {"airline": "Eastwind", "seat": "window"}
        pid = await k.spawn("travel", f"{TASK} site={site.url}/flights/index.html")
        recalls = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("call") == "mem.recall"]
        proc = await k.wait(pid, timeout=120)
        recalls = [e for e in k.events.for_pid(pid) if e["kind"] == "syscall" and e.get("call") == "mem.recall"]
        assert proc.exit_status == 0, (proc.exit_reason, proc.error)
        result = json.loads(proc.result)
        assert recalls and recalls[0]["ok"], recalls
        flight, price = cheapest(await results_text(k.browser, site), airline="Eastwind")
    assert result["booked"] and result["trip"]["airline"] == "Eastwind" and result["trip"]["seat"] == "window"
    assert f"Eastwind {flight}" in result["page"] and "window seat" in result["page"] and f"${price}" in result["page"]


async def test_without_memory_it_books_without_preferences(tk, site):
    result, _ = await book(tk, site)  # no memory service: mem.recall is unavailable
    assert result["booked"] and result["trip"]["airline"] == "" and result["trip"]["seat"] == "any"


async def test_a_request_without_a_date_is_refused_clearly(tk, site):
    result, asked = await book(tk, site, task="book me a flight from SFO to JFK")
    assert not result["booked"] and "YYYY-MM-DD" in result["reason"] and asked == []


def test_a_cabin_already_chosen_is_not_offered_again():
    """After ``select 'Business'`` the page shows it chosen; offering it again let the model spend its steps on it."""
    text = ('---\n[1] select "Cabin" name=cabin value="Economy" options=[Economy, Premium, Business]\n'
            '[2] button "Search flights"')
    assert [a.text for a in pg.candidates(text, [], set(), "in business, economy is fine too")] == [
        "select 'Business' in [1] Cabin", "click [2] button Search flights"]
    chosen = text.replace('value="Economy"', 'value="Business"')
    assert [a.text for a in pg.candidates(chosen, [], set(), "in business")] == ["click [2] button Search flights"]


def test_context_is_only_the_line_right_above():
    text = "---\nOffer AU1 · $99\n[1] link \"Select AU1\"\n[2] link \"New search\"\nFooter\n[3] button \"Go\""
    acts = [a.text for a in pg.candidates(text, [], set())]
    assert acts == ["click [1] link Select AU1 (Offer AU1 · $99)", "click [2] link New search", "click [3] button Go"]


def test_links_back_to_visited_pages_are_not_offered():
    text = "---\n[1] link \"Select AU1\" -> /flights/seat.html?f=AU1\n[2] link \"New search\" -> /flights/index.html"
    acts = [a.text for a in pg.candidates(text, [], set(), visited=frozenset({"/flights/index.html"}))]
    assert acts == ["click [1] link Select AU1"]


def test_a_radio_choice_is_made_once():
    text = ('---\n[1] radio "Aisle" name=seat unchecked\n[2] radio "Middle" name=seat checked\n'
            '[3] button "Continue"')
    assert [a.text for a in pg.candidates(text, [], set())] == ["click [1] radio Aisle", "click [3] button Continue"]
    assert [a.text for a in pg.candidates(text, [], set(), groups_done=frozenset({"seat"}))] == [
        "click [3] button Continue"]
