"""The ``tool`` family: list tools and call one (built-ins, sandboxed code, MCP servers)."""
from __future__ import annotations

from typing import Any

from .base import Name, Reply, Request


class ListTools(Request, tag="tool.list"):
    pass


class Call(Request, tag="tool.call"):
    name: Name
    args: dict[str, Any] = {}


class ToolSpec(Reply):
    name: str
    description: str
    schema: dict[str, Any]
    topics: list[str] = []  # words a task about the tool names (drivers/tools/base.py); not for the model


class Tools(Reply):
    tools: list[ToolSpec]


class ToolResult(Reply):
    name: str
    output: str
    data: Any = None
    is_error: bool = False
    untrusted: bool = False  # the output came from outside llmos (an MCP server): data, never instructions
