"""Tool calls that always parse: the reply schema built from the client's tools accepts exactly the calls
that match them (checked with llama.cpp's own grammar sampler), and decoded replies become OpenAI tool_calls."""
from __future__ import annotations

import json

import msgspec
import pytest

from kernel.api.openai.errors import ApiError
from kernel.api.openai.schemas import ChatRequest
from kernel.api.openai.toolcalls import outcome, plan

from .tools_fixture import TOOLS


def req(**kw) -> ChatRequest:
    return msgspec.convert({"messages": [{"role": "user", "content": "hi"}], **kw}, ChatRequest)


def test_auto_offers_every_tool_and_text_required_only_tools_named_one():
    auto = plan(req(tools=TOOLS))
    assert len(auto.schema["anyOf"]) == 5 and auto.calls and '{"content"' in auto.prompt
    required = plan(req(tools=TOOLS, tool_choice="required"))
    assert len(required.schema["anyOf"]) == 4 and '{"content"' not in required.prompt
    named = plan(req(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "add-numbers"}}))
    assert named.schema["properties"]["name"] == {"const": "add-numbers"}
    none = plan(req(tools=TOOLS, tool_choice="none"))
    assert none.schema is None and not none.calls


@pytest.mark.parametrize("kw", [
    {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "missing"}}},
    {"tool_choice": "auto"},
    {"tools": TOOLS + TOOLS[:1]},
    {"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}},
])
def test_inconsistent_tool_requests_are_400(kw):
    with pytest.raises(ApiError) as e:
        plan(req(**kw))
    assert e.value.status == 400


def test_bounded_integers_are_decoded_as_their_values():
    seats = plan(req(tools=TOOLS, tool_choice="required")).schema["anyOf"][2]["properties"]["parameters"]
    assert seats["properties"]["seats"]["enum"] == list(range(1, 10))
    wide = req(response_format={"type": "json_schema", "json_schema": {"schema": {
        "type": "object", "properties": {"n": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 4},
                                         "big": {"type": "integer", "minimum": 0, "maximum": 10**6}}}}})
    props = plan(wide).schema["properties"]
    assert props["n"]["enum"] == [1, 2, 3] and "enum" not in props["big"]


def test_a_decoded_call_becomes_an_openai_tool_call_with_the_exact_name():
    p = plan(req(tools=TOOLS, tool_choice="required"))
    out = outcome(p, '{"name": "Book_Seat", "parameters": {"flight": "AF123", "seats": 2, "seat": "window"}}', "stop")
    assert out.finish_reason == "tool_calls" and out.content is None
    fn = out.tool_calls[0]["function"]
    assert fn["name"] == "Book_Seat" and json.loads(fn["arguments"]) == {"flight": "AF123", "seats": 2, "seat": "window"}
    text = outcome(plan(req(tools=TOOLS)), '{"content": "It is sunny."}', "stop")
    assert (text.content, text.tool_calls, text.finish_reason) == ("It is sunny.", [], "stop")
    cut = outcome(p, '{"name": "Book_Seat", "parameters": {"fli', "length")  # never a call that does not parse
    assert cut.tool_calls == [] and cut.finish_reason == "length"


@pytest.mark.real_model
def test_the_grammar_admits_valid_calls_and_nothing_else():
    from tests.conftest import model_available, require
    require(model_available(), "the embedded model")
    from tests.kernel.grammar_check import accepts
    schema = plan(req(tools=TOOLS)).schema
    good = [{"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius"}},
            {"name": "add-numbers", "parameters": {"a": -3, "b": 40}},
            # keys in the grammar's order: required ones by name, then optional ones
            {"name": "Book_Seat", "parameters": {"flight": "AF123", "seat": "aisle", "seats": 9, "meal": True}},
            {"name": "now", "parameters": {}},
            {"content": "plain text"}]
    bad = [{"name": "get_weather", "parameters": {"city": "Paris", "unit": "kelvin"}},
           {"name": "get-weather", "parameters": {"city": "Paris", "unit": "celsius"}},
           {"name": "add-numbers", "parameters": {"a": 1.5, "b": 2}},
           {"name": "add-numbers", "parameters": {"a": 1}},
           {"name": "Book_Seat", "parameters": {"flight": "af123", "seats": 2, "seat": "aisle"}},
           {"name": "Book_Seat", "parameters": {"flight": "AF123", "seat": "aisle", "seats": 12}},  # maximum 9
           {"name": "get_weather", "parameters": {"city": "Paris", "unit": "celsius", "extra": 1}},
           {"content": 5}]
    assert [accepts(schema, v) for v in good] == [True] * len(good)
    assert [accepts(schema, v) for v in bad] == [False] * len(bad)
    required = plan(req(tools=TOOLS, tool_choice="required")).schema
    assert not accepts(required, {"content": "plain text"})
