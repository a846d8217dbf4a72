"""The model-free parts of drivers/llm: text streaming with stop strings, slot choice, SSE, factory."""
from __future__ import annotations

import pytest

from drivers.llm import (
    EngineError,
    LlamaEngine,
    OpenAIEngine,
    ScriptedEngine,
    open_engine,
)
from drivers.llm.llama_slots import SlotTable, common_prefix
from drivers.llm.llama_text import TextStream
from drivers.llm.openai_wire import (
    PieceVocab,
    approx_count,
    response_format,
    sse_events,
)


def feed(ts: TextStream, pieces: list[bytes]) -> tuple[list[str], bool]:
    out, stopped = [], False
    for i, p in enumerate(pieces):
        toks, stopped = ts.push(i, p)
        out += [t.text for t in toks]
        if stopped:
            break
    return out, stopped


def test_text_stream_without_stops_streams_everything():
    ts = TextStream([])
    out, stopped = feed(ts, [b"Hello", b" wor", b"ld"])
    assert out == ["Hello", " wor", "ld"] and not stopped and ts.text == "Hello world"


def test_text_stream_holds_back_a_possible_stop_and_cuts_at_it():
    ts = TextStream(["END"])
    toks, stopped = ts.push(0, b"abc E")
    assert toks == [] and not stopped  # the trailing "E" may start "END": the token waits
    toks2, stopped = ts.push(1, b"NDxyz")
    assert stopped and ts.text == "abc "
    assert [(t.id, t.text) for t in toks2] == [(0, "abc ")] and ts.released_tokens == [0]


def test_text_stream_releases_held_text_when_it_cannot_be_a_stop():
    ts = TextStream(["\n\n"])
    out, stopped = feed(ts, [b"a\n", b"b"])
    assert not stopped and "".join(out) == "a\nb"
    assert ts.flush() == []


def test_text_stream_joins_split_utf8():
    ts = TextStream([])
    euro = "€".encode()
    out, _ = feed(ts, [euro[:1], euro[1:], b"!"])
    assert "".join(out) == "€!" and ts.text == "€!"


def test_text_stream_flush_releases_pending_on_length():
    ts = TextStream(["STOP"])
    out, _ = feed(ts, [b"go ST"])
    rest = ts.flush()
    assert "".join(out) + "".join(t.text for t in rest) == "go ST"
    assert ts.released_tokens == [0]


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix(list(range(1000)), list(range(999)) + [5]) == 999


class FakeC:
    def __init__(self):
        self.calls = []

    def llama_memory_seq_rm(self, mem, seq, p0, p1):
        self.calls.append((seq, p0, p1))
        return True


def test_slot_table_prefers_longest_prefix_then_lru():
    C = FakeC()
    t = SlotTable(C, None, 3)
    a, keep = t.claim("a", [1, 2, 3, 4])
    assert keep == 0 and t.busy() == 1
    a.tokens.extend([1, 2, 3, 4])
    t.release(a)
    b, keep = t.claim("b", [1, 2, 3, 9, 9])
    assert b is a and keep == 3 and a.tokens == [1, 2, 3]
    assert C.calls[-1] == (a.seq_id, 3, -1)
    c, keep = t.claim("c", [7])
    assert c is not a and keep == 0
    t.release(b)
    d, keep = t.claim("d", [1, 2, 3])  # whole context cached: one token is left to evaluate
    assert d is a and keep == 2
    t.clear(d)
    assert d.tokens == []


def test_piece_vocab_and_approx_count():
    v = PieceVocab()
    ids = v.encode("hello  world\n")
    assert v.decode(ids) == "hello  world\n"
    assert v.id("hello") == v.id("hello")
    assert approx_count("") == 0 and approx_count("one two three") >= 3
    assert response_format({"type": "object"}, "json_object") == {"type": "json_object",
                                                                 "schema": {"type": "object"}}
    assert response_format({}, "json_schema")["json_schema"]["schema"] == {}


@pytest.mark.anyio
async def test_sse_events():
    async def lines():
        for line in [": ping", "", 'data: {"a": 1}', "", "event: x", 'data: {"b":', 'data: 2}', "",
                     "data: [DONE]", "", 'data: {"late": 1}', ""]:
            yield line
    got = [e async for e in sse_events(lines())]
    assert got == [{"a": 1}, {"b": 2}]

    async def failing():
        yield 'data: {"error": {"message": "boom"}}'
        yield ""
    with pytest.raises(EngineError, match="boom"):
        [e async for e in sse_events(failing())]


def test_open_engine_specs(tmp_path):
    assert isinstance(open_engine("scripted"), ScriptedEngine)
    assert isinstance(open_engine(""), LlamaEngine) and isinstance(open_engine("embedded"), LlamaEngine)
    eng = open_engine("http://127.0.0.1:9/", n_slots=3)
    assert isinstance(eng, OpenAIEngine) and eng.base_url == "http://127.0.0.1:9/v1" and eng.n_slots == 3
    assert open_engine("https://api.example.com/v1").base_url == "https://api.example.com/v1"
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    assert open_engine(str(model)).model_path == str(model)
    with pytest.raises(EngineError):
        open_engine(str(tmp_path / "missing.gguf"))
    with pytest.raises(EngineError):
        open_engine("what is this")
