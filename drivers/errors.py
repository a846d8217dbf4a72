"""The one error type every driver raises; the kernel maps it to a typed syscall error."""
from __future__ import annotations


class DriverError(Exception):
    """A failure outside the kernel.  ``code`` is a short machine-readable name
    (``timeout``, ``unavailable``, ``denied``, ``invalid``, ``io``, ...) and
    ``retryable`` says whether the same call may succeed if tried again."""

    code = "driver_error"

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False):
        super().__init__(message)
        if code:
            self.code = code
        self.retryable = retryable
