"""The ``python`` and ``shell`` tools: a process's code run in the Docker sandbox, files moved by tar copy."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from drivers.errors import DriverError
from drivers.tools import Tool, ToolOutput
from kernel.proc import budget
from kernel.syscall.perm import path_granted
from sandbox import ExecResult, Limits, SandboxError

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process

MAX_LISTED = 200  # files walked from one folder given in ``files``

_ARGS = {
    "timeout": {"type": "number", "description": "seconds before the run is killed (default 30)"},
    "files": {"type": "array", "items": {"type": "string"},
              "description": "workspace files or folders to copy into the sandbox's /work first"},
    "collect": {"type": "array", "items": {"type": "string"},
                "description": "files or folders under /work to copy back into the workspace afterwards"},
}


class SandboxTool(Tool):
    """Run ``code`` of one kind (``python`` or ``shell``) for the calling process."""

    def __init__(self, k: "Kernel", kind: str):
        self.k, self.kind = k, kind
        self.name = kind
        lang = "Python 3 program" if kind == "python" else "bash script"
        self.description = (f"Run a {lang} in an isolated sandbox without network (working folder /work) "
                            f"and return its exit code and output; print what you want to see.")
        self.schema = {"type": "object", "properties": {"code": {"type": "string"}, **_ARGS},
                       "required": ["code"]}

    async def call(self, args: dict[str, Any], *, owner: str = "") -> ToolOutput:
        code = args.get("code")
        if not isinstance(code, str) or not code.strip():
            return ToolOutput(f"{self.name} needs a non-empty 'code' string", is_error=True)
        proc = self._proc(owner)
        try:
            timeout = _number(args.get("timeout"), "timeout")
            files_in = _paths(args.get("files"), "files")
            collect = _paths(args.get("collect"), "collect")
        except ValueError as exc:
            return ToolOutput(f"{self.name}: {exc}", is_error=True)
        sb = self.k.sandbox
        if sb is None:
            raise SandboxError("the sandbox is not attached to this kernel", code="unavailable")
        files = read_files(proc, files_in, sb.limits.files_in_bytes) if proc else {}
        if proc is not None and (left := budget.remaining(proc).get("sandbox_cpu_seconds")) is not None \
                and left <= 0:
            await self.k.breach(proc, "sandbox_cpu_seconds")  # ends the process; does not return
        timeout = cpu_capped_timeout(proc, timeout, sb.limits)
        r = await sb.exec(owner, self.kind, code, files=files, timeout=timeout, collect=collect or None)
        saved = write_back(proc, r) if proc is not None else []
        if proc is not None:
            await charge(self.k, proc, r)
        return ToolOutput(render(r, saved), data=as_data(r, saved), is_error=not r.ok)

    def _proc(self, owner: str) -> "Process | None":
        try:
            return self.k.ptable.get(int(owner))
        except (TypeError, ValueError):
            return None


def _number(v: Any, name: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"'{name}' must be a positive number of seconds")
    return float(v)


def _paths(v: Any, name: str) -> list[str]:
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(p, str) and p for p in v):
        raise ValueError(f"'{name}' must be a list of relative paths")
    return v


def cpu_capped_timeout(proc: "Process | None", timeout: float | None, limits: Limits) -> float | None:
    """CPU seconds cannot exceed wall seconds times the CPU share, so a wall clock of
    ``left / cpus`` keeps a run inside what is left of the ``sandbox_cpu_seconds`` budget."""
    if proc is None:
        return timeout
    left = budget.remaining(proc).get("sandbox_cpu_seconds")
    if left is None:
        return timeout
    cap = max(left, 0.0) / max(limits.cpus, 0.01)
    return min(timeout or limits.timeout_s, cap)


def read_files(proc: "Process", paths: list[str], max_bytes: int) -> dict[str, bytes]:
    """Workspace files (folders walked, links skipped) as {relative path: bytes}, within the file grants."""
    ws = proc.workspace
    out: dict[str, bytes] = {}
    total = 0
    for raw in paths:
        try:
            ws.parts(raw)  # a path that is not in the workspace at all is a bad argument
        except DriverError as exc:
            raise SandboxError(str(exc), code="invalid") from None
        if not path_granted(proc, raw):
            raise SandboxError(f"app '{proc.app}' is not granted files matching {raw!r}", code="denied")
        try:
            for rel in ws.files(raw, MAX_LISTED):
                if not path_granted(proc, rel):
                    continue
                data = ws.read_bytes(rel)
                total += len(data)
                if total > max_bytes:
                    raise SandboxError(f"files to copy in exceed {max_bytes} bytes", code="limit")
                out[rel] = data
        except DriverError as exc:
            raise SandboxError(str(exc), code="not_found" if exc.code == "not_found" else "invalid") from None
    return out


def write_back(proc: "Process", r: ExecResult) -> list[str]:
    """Collected files into the workspace (same relative paths); refusals join ``r.refused``.
    Each file lands whole (written aside, then renamed over its target) or not at all."""
    ws = proc.workspace
    saved = []
    for rel, data in sorted(r.files_out.items()):
        try:
            if not path_granted(proc, rel):
                raise DriverError("not granted by the app's file scopes", code="denied")
            ws.write_bytes(rel, data)
            saved.append(rel)
        except DriverError as exc:
            r.refused.append(f"{rel}: not saved to the workspace ({exc})")
    return saved


async def charge(k: "Kernel", proc: "Process", r: ExecResult) -> None:
    """Add the run's CPU time to the process and end it if its sandbox budget is now exceeded."""
    proc.usage.sandbox_cpu_seconds += r.cpu_s
    if budget.breached(proc, ("sandbox_cpu_seconds",)):
        await k.breach(proc, "sandbox_cpu_seconds")


def render(r: ExecResult, saved: list[str]) -> str:
    """The text a process (or its model) reads: output first, then one status line."""
    parts = []
    if r.stdout:
        parts.append(r.stdout.rstrip("\n"))
    if r.stderr:
        parts.append("[stderr]\n" + r.stderr.rstrip("\n"))
    status = f"[exit code {r.exit_code}, {r.duration_s:.2f} s"
    if r.killed:
        status += f", killed: {r.killed}"
    if r.truncated:
        status += ", output truncated"
    if saved:
        status += f", saved {', '.join(saved[:10])}"
    if r.refused:
        status += f", refused {'; '.join(r.refused[:5])}"
    parts.append(status + "]")
    return "\n".join(parts)


def as_data(r: ExecResult, saved: list[str]) -> dict[str, Any]:
    return {"exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "duration_s": r.duration_s,
            "killed": r.killed, "truncated": r.truncated, "cpu_s": r.cpu_s, "saved": saved,
            "refused": list(r.refused)}
