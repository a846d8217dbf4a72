"""KV that follows its owner, without a model: which slot a sequence takes, whose paused KV is displaced, the cost rule."""
from __future__ import annotations

from drivers.llm.llama_kvcost import KVCost
from drivers.llm.llama_slots import SlotTable


class FakeC:
    def llama_memory_seq_rm(self, mem, seq, p0, p1):
        return True


def _paused(t: SlotTable, key: str, tokens: list[int], expect: float = 0.0):
    slot, _ = t.claim(key, tokens, key)
    slot.tokens[:] = tokens
    t.release(slot, parked=True, key=key)
    if expect:
        t.hint(key, expect)
    return slot


def test_an_owner_gets_its_own_paused_slot_back():
    t = SlotTable(FakeC(), None, 3, share_prefixes=False)
    a = _paused(t, "1", [5, 6, 7, 8])
    b = _paused(t, "2", [5, 6, 9, 9])
    slot, keep = t.claim("x", [5, 6, 7, 8, 1, 2], "1")
    assert slot is a and keep == 4 and b.parked


def test_another_owners_paused_kv_is_not_displaced_while_a_slot_is_open():
    t = SlotTable(FakeC(), None, 2, share_prefixes=False)
    a = _paused(t, "1", [5, 6, 7, 8])
    slot, keep = t.claim("y", [5, 6, 7, 0], "2")  # shares 3 tokens with a, but the other slot is open
    assert slot is not a and keep == 0 and a.parked and a.key == "1"


def test_under_pressure_the_owner_expected_back_last_is_displaced():
    t = SlotTable(FakeC(), None, 3, share_prefixes=False)
    soon = _paused(t, "1", [1, 1, 1], expect=100.0)
    late = _paused(t, "2", [2, 2, 2], expect=900.0)
    mid = _paused(t, "3", [3, 3, 3], expect=500.0)
    slot, _ = t.claim("z", [4, 4, 4], "4")
    assert slot is late and not late.parked and soon.parked and mid.parked


def test_a_paused_slot_is_a_prefix_source_for_others():
    t = SlotTable(FakeC(), None, 2)
    a = _paused(t, "1", list(range(100)))
    slot, keep = t.claim("y", list(range(80)) + [7, 7], "2")
    assert slot is not a and keep == 80 and t.copies == [(a.seq_id, slot.seq_id, 80)]
    assert t.free() == []  # the source is not free until the copy is done: nothing may overwrite it


def test_forget_turns_paused_kv_into_an_ordinary_cache():
    t = SlotTable(FakeC(), None, 1, share_prefixes=False)
    a = _paused(t, "1", [1, 2, 3])
    t.forget("1")
    assert not a.parked and a.key == "" and a.tokens == [1, 2, 3]


def test_cost_rule_parks_when_a_copy_beats_recompute():
    c = KVCost(prefill_tok_s=500.0, mem_bps=2e9, disk_bps=1e6)
    assert c.worth(1000, 10 << 20, disk=False)  # 10 ms of copies against 2 s of prefill
    assert not c.worth(1000, 10 << 20, disk=True)  # 20 s from a slow disk: compute it again
    assert c.stats()["parked"] == 1 and c.stats()["discarded"] == 1


def test_cost_rates_are_learned():
    c = KVCost(prefill_tok_s=500.0)
    for _ in range(30):
        c.note_prefill(1000, 0.1)  # 10,000 tokens/s measured
    assert 9000 < c.prefill_tok_s <= 10000
    c.note_prefill(2, 1.0)  # too small a batch to time the prefill: ignored
    assert c.prefill_tok_s > 9000


def test_owner_history_counts_resumes_and_reprefills():
    from drivers.llm.base import EngineStats
    from drivers.llm.llama_follow import OwnerHistory
    h, st = OwnerHistory(), EngineStats()
    h.count(st, "1", [1, 2, 3], 0)  # no history yet: a first step is neither
    h.kept("1", [1, 2, 3, 4])
    h.count(st, "1", [1, 2, 3, 4, 5, 6], 4)  # all of it found
    h.count(st, "1", [1, 2, 3, 4, 5, 6], 1)  # three tokens of its own history computed again
    h.forget("1")
    h.count(st, "1", [1, 2, 3, 4, 5, 6], 0)
    assert (st.follow_resumes, st.reprefills, st.reprefill_tokens) == (1, 1, 3)
