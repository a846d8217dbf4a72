"""A real sandboxed ``python`` tool for the app tests.

When the sandbox subsystem is registered in ``kernel.boot.STEPS`` (branch feat-sandbox), tests use
it; until then this wraps ``sandbox.Sandbox.exec`` with the same tool schema (``code``) and
the same result data (``exit_code``, ``stdout``, ``stderr``), on real Docker."""
from __future__ import annotations

import os
import uuid
from typing import Any, ClassVar

from drivers.tools import Tool, ToolOutput

KERNEL_ID = f"pytest-apps-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def docker_ready() -> bool:
    try:
        from sandbox import image_exists, image_tag
        from sandbox.engine import connect
        client = connect()
        try:
            return image_exists(client, image_tag())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - any failure to reach Docker means "not available"
        return False


class PythonTool(Tool):
    name = "python"
    description = "Run a Python 3 program in an isolated sandbox without network and return its output."
    schema: ClassVar[dict] = {"type": "object", "properties": {"code": {"type": "string"}, "timeout": {"type": "number"}},
              "required": ["code"]}

    def __init__(self, sandbox: Any):
        self.sb = sandbox
        self.runs = 0

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        code = args.get("code")
        if not isinstance(code, str) or not code.strip():
            return ToolOutput("python needs a non-empty 'code' string", is_error=True)
        self.runs += 1
        r = await self.sb.exec(owner or "test", "python", code, timeout=float(args.get("timeout") or 20))
        out = (r.stdout + (f"\n[stderr]\n{r.stderr}" if r.stderr else "")).strip()
        data = {"exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "killed": r.killed}
        return ToolOutput(f"{out}\n[exit code {r.exit_code}]", data=data, is_error=not r.ok)
