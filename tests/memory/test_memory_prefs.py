"""Long-term memory: explicit preferences and ones learned from choices outlive the process."""
from __future__ import annotations

from memhelpers import words

from kernel.memory import MemoryRegistry, Page


def test_preferences_outlive_the_process(disk, events):
    svc = MemoryRegistry(disk, kernel_id="kp", on_event=events)
    first = svc.open(1, app="travel", user="ann", limit=100, count_tokens=words)
    first.remember_preference("I prefer aisle seats")
    first.learn_choice(["window seat", "aisle seat", "middle seat"], "aisle seat", "picked 12C on the LH flight")
    first.learn_choice(["aisle seat", "window seat"], "window seat", "night flight, wanted to sleep")
    svc.release(1)

    later = svc.open(2, app="travel", user="ann", limit=100, count_tokens=words)
    prefs = later.preferences("which seat should I book?", k=3)
    assert prefs and prefs[0].metadata["kind"] == "preference"
    assert any("aisle" in h.text for h in prefs[:2])
    assert {h.metadata.get("source") for h in prefs} >= {"explicit", "choice"}
    page = later.recall_for("book a seat for Ann", k=3, threshold=0.2)
    assert page is not None and "aisle" in page.text and "user:ann" in page.text


def test_the_same_choice_again_strengthens_one_memory(disk):
    svc = MemoryRegistry(disk, kernel_id="kp")
    pm = svc.open(3, app="food", user="bo", limit=100, count_tokens=words)
    ids = {pm.learn_choice(["tea", "coffee"], "tea", "ordered tea")[0] for _ in range(3)}
    assert len(ids) == 1
    (item,) = disk.get("user:bo", ids=list(ids))
    assert item.metadata["times"] == 3 and item.metadata["learned"] is True
    assert "prefers tea over coffee" in item.text and "3 times" in item.text


def test_another_user_does_not_see_them(disk):
    svc = MemoryRegistry(disk, kernel_id="kp")
    ann = svc.open(4, app="travel", user="ann", limit=100, count_tokens=words)
    ann.remember_preference("I prefer aisle seats")
    bob = svc.open(5, app="travel", user="bob", limit=100, count_tokens=words)
    assert bob.preferences("seat") == []
    assert all("aisle" not in h.text for h in bob.mem_recall("seat preference", k=5))


def test_pinned_fact_from_mem_pin_stays_in_context(disk):
    svc = MemoryRegistry(disk, kernel_id="kp")
    pm = svc.open(6, app="travel", user="ann", limit=40, count_tokens=words)
    pinned = pm.mem_pin(text="Ann is allergic to peanuts.")
    for n in range(30):
        pm.add(Page(text=f"chatter number {n} about nothing much"))
    assert pinned.id in [p.id for p in pm.context.pages] and pinned.kind == "pinned"
