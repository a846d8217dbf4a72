"""Tools a process can call: built-ins here; sandboxed code and MCP servers plug in beside them."""
from .base import Tool, ToolOutput
from .builtins import Calculator, Clock, builtin_tools
from .calc import CalcError, evaluate

__all__ = ["Tool", "ToolOutput", "Calculator", "Clock", "builtin_tools", "CalcError", "evaluate"]
