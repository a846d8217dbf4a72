"""Kernel-internal control flow: a process asking to exit, and mapping driver errors to syscall errors."""
from __future__ import annotations

from drivers.errors import DriverError
from syscalls.errors import InvalidArgument, NotFound, PermissionDenied, SyscallError, Timeout, Unavailable


class ProcessExit(BaseException):
    """Raised by ``proc.exit`` to unwind the process's task (BaseException so apps do not swallow it)."""

    def __init__(self, result: str, status: int):
        super().__init__(result)
        self.result, self.status = result, status


_BY_CODE = {"invalid": InvalidArgument, "not_found": NotFound, "denied": PermissionDenied,
            "timeout": Timeout, "unavailable": Unavailable}


def from_driver(exc: DriverError) -> SyscallError:
    cls = _BY_CODE.get(exc.code, SyscallError)
    return cls(str(exc), retryable=exc.retryable, code=exc.code)
