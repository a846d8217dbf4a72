"""Run Python through the sandboxed ``python`` tool (``tool.call python``), for apps that write code."""
from __future__ import annotations

from typing import Any

import msgspec

from .errors import NotFound, PermissionDenied, SyscallError, Unavailable
from .sdk import Sys

TOOL = "python"


class PyRun(msgspec.Struct):
    ok: bool  # the program ran and exited with status 0
    output: str  # the tool's report: stdout, stderr and a status line
    exit_code: int | None = None
    stdout: str = ""  # what the program printed, when the tool reports it apart
    stderr: str = ""


def _code_arg(schema: dict[str, Any]) -> str:
    """The name of the argument that carries the program (``code`` unless the tool says otherwise)."""
    props = schema.get("properties", {})
    if "code" in props:
        return "code"
    for name in schema.get("required", []) + list(props):
        if props.get(name, {}).get("type") == "string":
            return str(name)
    return "code"


async def available(sys: Sys) -> bool:
    """Whether this process may run Python in the sandbox now."""
    try:
        return any(t.name == TOOL for t in await sys.tool.list())
    except SyscallError:
        return False


async def run_python(sys: Sys, code: str, *, timeout: float | None = None) -> PyRun:
    """Run ``code``; raises ``Unavailable`` when there is no sandboxed python for this process."""
    try:
        specs = {t.name: t for t in await sys.tool.list()}
    except PermissionDenied as exc:
        raise Unavailable(f"cannot list tools: {exc.message}") from None
    spec = specs.get(TOOL)
    if spec is None:
        raise Unavailable("no sandboxed python tool for this process (no sandbox, or not granted)")
    args: dict[str, Any] = {_code_arg(spec.schema): code}
    if timeout is not None and "timeout" in spec.schema.get("properties", {}):
        args["timeout"] = timeout
    try:
        res = await sys.tool.call(TOOL, args)
    except (NotFound, Unavailable) as exc:
        raise Unavailable(f"python tool: {exc.message}") from None
    data = res.data if isinstance(res.data, dict) else {}
    code_ = data.get("exit_code")
    ok = not res.is_error and (code_ in (0, None))
    return PyRun(ok=ok, output=res.output, exit_code=code_ if isinstance(code_, int) else None,
                 stdout=str(data.get("stdout", res.output if ok else "")), stderr=str(data.get("stderr", "")))
