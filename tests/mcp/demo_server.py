"""A real MCP server for the tests, built with the ``mcp`` package's server API and run over stdio."""
from __future__ import annotations

import math
import os
import sys
from typing import TypedDict

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

server = MCPServer("demo")


class City(TypedDict):
    city: str
    country: str
    population: int


class Who(TypedDict):
    pid: int
    greeting: str


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers a and b."""
    return a + b


@server.tool()
def lookup(city: str) -> City:
    """Look up a city's country and population."""
    known = {"paris": ("France", 2_100_000), "berlin": ("Germany", 3_600_000)}
    country, population = known.get(city.strip().lower(), ("unknown", 0))
    return City(city=city, country=country, population=population)


class Point(BaseModel):  # a model argument: pydantic publishes it under $defs and refers to it
    x: float
    y: float


@server.tool()
def distance(a: Point, b: Point) -> float:
    """The straight-line distance between points a and b."""
    return math.dist((a.x, a.y), (b.x, b.y))


@server.tool()
def fail(reason: str) -> str:
    """Always fails with the given reason."""
    raise ToolError(f"cannot do that: {reason}")


@server.tool()
async def slow(seconds: float) -> str:
    """Answer after the given number of seconds."""
    await anyio.sleep(seconds)
    return "finally"


@server.tool()
def crash() -> str:
    """Exit the server process at once, as a crash would."""
    sys.stderr.write("demo server: crashing on purpose\n")
    sys.stderr.flush()
    os._exit(3)


@server.tool()
def whoami() -> Who:
    """The server's process id and an environment variable llmos passed to it."""
    return Who(pid=os.getpid(), greeting=os.environ.get("DEMO_GREETING", ""))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":  # streamable HTTP on a loopback port
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run("stdio")
