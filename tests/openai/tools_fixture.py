"""Tool definitions the tool-call tests use: varied argument schemas, as clients send them."""
from __future__ import annotations

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "maxLength": 40},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"], "additionalProperties": False}}},
    {"type": "function", "function": {
        "name": "add-numbers", "description": "Add two whole numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                       "required": ["a", "b"]}}},
    {"type": "function", "function": {
        "name": "Book_Seat", "description": "Book seats on a flight.",
        "parameters": {"type": "object", "$defs": {"Seat": {"type": "string", "enum": ["aisle", "window"]}},
                       "properties": {"flight": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{3}$"},
                                      "seats": {"type": "integer", "minimum": 1, "maximum": 9},
                                      "seat": {"$ref": "#/$defs/Seat"}, "meal": {"type": "boolean"}},
                       "required": ["flight", "seats", "seat"]}}},
    {"type": "function", "function": {"name": "now", "description": "The time now.", "parameters": {}}},
]
PROMPTS = ["What is the weather in Paris in celsius?", "Add 17 and 25.", "Book 2 window seats on flight AF123.",
           "What time is it?", "How warm is it in Oslo, in fahrenheit?", "What is 3 plus 4?"]


def by_name() -> dict[str, dict]:
    return {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
