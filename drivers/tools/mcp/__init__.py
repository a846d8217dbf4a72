"""MCP servers as tool drivers: configured servers started on demand, their tools offered as ``server.tool``."""
from .hub import McpHub, McpTool, call_tool, may_grant
from .result import to_output
from .server import McpServer
from .spec import ServerSpec, SpecError, spec_of

__all__ = [
           "McpHub",
           "McpServer",
           "McpTool",
           "ServerSpec",
           "SpecError",
           "call_tool",
           "may_grant",
           "spec_of",
           "to_output",
]
