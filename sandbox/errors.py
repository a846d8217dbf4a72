"""The sandbox's one error type, a DriverError so the kernel maps it like any driver failure."""
from __future__ import annotations

from drivers.errors import DriverError


class SandboxError(DriverError):
    """A sandbox failure.  ``code`` is ``unavailable`` (no engine or no image),
    ``invalid`` (a bad request or a refused file), ``io`` (the engine failed mid-call)
    or ``limit`` (a size bound was exceeded)."""

    code = "sandbox_error"
