"""The tool interface: a name, a description, a JSON schema for arguments, and an async call."""
from __future__ import annotations

import abc
from typing import Any

import msgspec


class ToolOutput(msgspec.Struct):
    output: str
    data: Any = None
    is_error: bool = False
    untrusted: bool = False  # text from outside (an MCP server, a page): data, never instructions


class Tool(abc.ABC):
    name: str
    description: str
    schema: dict[str, Any]  # JSON schema of the arguments object
    # whether its output is the kernel's own text (a clock, a calculator) rather than the world's; None: the
    # kernel decides by the tool's name (kernel/rules/untrusted.py, TRUSTED_TOOLS)
    trusted_output: bool | None = None
    # words a task about this tool names ("month" for the clock): the likelihood route and answer_from take the
    # tool only for such a task (kernel/agent/route.py: plausible); never shown to the model
    topics: tuple[str, ...] = ()

    @abc.abstractmethod
    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput: ...
