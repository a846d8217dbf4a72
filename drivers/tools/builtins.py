"""The built-in tools: a calculator, a clock and a dictionary."""
from __future__ import annotations

import datetime as dt
import math
from typing import Any

from .base import Tool, ToolOutput
from .calc import CalcError, evaluate
from .dictionary import Dictionary


class Calculator(Tool):
    name = "calculator"
    description = "Evaluate an arithmetic expression, for example (4 + 5) * 12 or sqrt(2)."
    topics = ("calculate", "compute", "sum", "total", "plus", "minus", "times", "multiply", "divide", "percent",
              "average", "square", "root", "power", "cost", "price", "much", "many")
    schema = {"type": "object", "properties": {"expression": {"type": "string"}},
              "required": ["expression"]}

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        expr = args.get("expression")
        if not isinstance(expr, str):
            return ToolOutput("calculator needs an 'expression' string", is_error=True)
        try:
            value = evaluate(expr)
        except CalcError as exc:
            return ToolOutput(f"error: {exc}", is_error=True)
        return ToolOutput(shown(value), data=value)


def shown(value: int | float) -> str:
    """A result as a person writes it: binary rounding noise gone (37.85 - 50 is -12.15, not
    -12.149999999999999), twelve significant digits kept."""
    if isinstance(value, float) and math.isfinite(value):
        return str(float(f"{value:.12g}"))
    return str(value)


class Clock(Tool):
    name = "clock"
    description = "The current date and time (UTC, ISO 8601)."
    schema = {"type": "object", "properties": {}}
    topics = ("date", "time", "today", "day", "weekday", "week", "month", "year", "hour", "minute", "now", "clock")

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        """ISO 8601, then the weekday and month in words: a small model cannot work out a weekday from a date."""
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        words = f"{now:%A} {now.day} {now:%B %Y}, {now:%H:%M} UTC"  # Friday 4 December 2026, 16:49 UTC
        return ToolOutput(f"{now.isoformat()} ({words})", data=now.isoformat())


def builtin_tools() -> dict[str, Tool]:
    return {t.name: t for t in (Calculator(), Clock(), Dictionary())}
