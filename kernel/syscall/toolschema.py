"""Tool argument schemas made self-contained and decodable: local ``$ref``s inlined, argument schemas merged.

The agent loop (kernel/agent/loop.py) copies each tool's argument schemas into one flat action
schema, which llama.cpp's converter turns into a grammar.  A ``{"$ref": "#/$defs/Point"}``
copied out of its tool's schema points at nothing there, so refs are inlined here first:
down to ``MAX_DEPTH`` nested expansions (recursive definitions have no end), past it the
value decodes as any JSON.  Two tools may also share an argument name with different schemas;
``union`` keeps each of them decodable.
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

# Any JSON value.  ``{}`` is JSON Schema's spelling, but llama.cpp's converter decodes ``{}`` as an object only,
# and one without any type-giving keyword (only a ``title``, as MCP servers publish for ``Any``) not at all.
ANY: dict[str, Any] = {"type": ["string", "number", "boolean", "object", "array", "null"]}
MAX_DEPTH = 3  # nested $ref expansions along one path
MAX_EXPANSIONS = 64  # $ref expansions in one tool's schema, so a wide recursive definition cannot blow up

_ONE = ("items", "additionalItems", "additionalProperties", "contains", "not", "if", "then", "else",
        "propertyNames", "unevaluatedItems", "unevaluatedProperties")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems", "items")
_MAP = ("properties", "patternProperties", "dependentSchemas")
_DEFS = ("$defs", "definitions")
# keywords from which llama.cpp's converter can tell what to decode; a schema with none of them gets ANY's type
_SHAPE = {"type", "enum", "const", "anyOf", "oneOf", "allOf", "properties", "additionalProperties", "items",
          "prefixItems", "pattern"}
_ANNOTATIONS = ("title", "description", "examples", "default", "$comment", "deprecated", "readOnly", "writeOnly")


def inline_refs(schema: Any) -> Any:
    """``schema`` with every local ``$ref`` replaced by what it points at and the definitions dropped."""
    return _Inliner(schema).schema(schema, 0)


class _Inliner:
    def __init__(self, root: Any):
        self.root, self.left = root, MAX_EXPANSIONS

    def schema(self, s: Any, depth: int) -> Any:
        if s is True:
            return dict(ANY)
        if not isinstance(s, dict):
            return s  # False (nothing fits) or not a schema at all: left as it is
        out = {k: self.keyword(k, v, depth) for k, v in s.items() if k != "$ref" and k not in _DEFS}
        if isinstance(s.get("$ref"), str):
            out = {**self.ref(s["$ref"], depth), **out}  # keywords beside the $ref win over the target's
        return out if _SHAPE & out.keys() else {**ANY, **out}

    def keyword(self, k: str, v: Any, depth: int) -> Any:
        if k in _MANY and isinstance(v, list):
            return [self.schema(x, depth) for x in v]
        if k in _MAP and isinstance(v, dict):
            return {name: self.schema(x, depth) for name, x in v.items()}
        if k in _ONE:
            return self.schema(v, depth)
        return v  # data (enum, const, required, default, ...): never walked, a "$ref" key there is a value

    def ref(self, ref: str, depth: int) -> dict[str, Any]:
        target = self.target(ref) if depth < MAX_DEPTH and self.left > 0 else None
        if target is None:
            return dict(ANY)
        self.left -= 1
        out = self.schema(target, depth + 1)
        return out if isinstance(out, dict) else dict(ANY)

    def target(self, ref: str) -> Any:
        """What a local JSON-pointer ref (``#/$defs/Point``, ``#``) points at; None for anything else."""
        frag = unquote(ref[1:]) if ref.startswith("#") else None
        if frag is None or (frag and not frag.startswith("/")):
            return None  # a remote schema or a named anchor: never fetched
        node = self.root
        for part in frag.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node


def union(variants: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema that accepts every variant: the variant when they all agree, else ``anyOf`` the distinct ones.

    Variants that differ only in annotations (a description) count as the same.
    """
    distinct: dict[str, dict[str, Any]] = {}
    for v in variants:
        key = json.dumps({k: x for k, x in v.items() if k not in _ANNOTATIONS}, sort_keys=True, default=str)
        distinct.setdefault(key, v)
    if len(distinct) == 1:
        return variants[0]
    if any(v.get("type") == ANY["type"] and not (_SHAPE - {"type"}) & v.keys() for v in distinct.values()):
        return dict(ANY)  # one of them accepts anything already
    return {"anyOf": list(distinct.values())}


def describe(schema: Any, depth: int = 2) -> str:
    """A short type for the system prompt: ``string``, ``integer|null``, ``{"x": number, "y": number}``."""
    if not isinstance(schema, dict):
        return "any"
    t = schema.get("type")
    if t == ANY["type"]:
        return "any"
    if "const" in schema:
        return json.dumps(schema["const"])
    if isinstance(schema.get("enum"), list):
        return "|".join(json.dumps(x) for x in schema["enum"])
    alts = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alts, list):
        return "|".join(dict.fromkeys(describe(a, depth) for a in alts))
    props = schema.get("properties")
    if isinstance(props, dict) and props and depth > 0:
        return "{" + ", ".join(f'"{k}": {describe(v, depth - 1)}' for k, v in props.items()) + "}"
    if isinstance(t, list):
        return "|".join(str(x) for x in t)
    if t == "array" and isinstance(schema.get("items"), dict) and depth > 0:
        return f"array of {describe(schema['items'], depth - 1)}"
    return str(t) if t else "any"
