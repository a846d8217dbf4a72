"""Typed syscall errors: what a process sees when a call fails (never a traceback)."""
from __future__ import annotations

import msgspec


class WireError(msgspec.Struct, kw_only=True):
    """An error as it travels in a reply."""

    code: str
    message: str
    retryable: bool = False


# the codes of an error that ends the calling process: whoever catches one passes it on
ENDING = ("budget", "killed", "terminated")


class SyscallError(Exception):
    code = "error"

    def __init__(self, message: str, *, retryable: bool = False, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        if code:
            self.code = code

    def to_wire(self) -> WireError:
        return WireError(code=self.code, message=self.message, retryable=self.retryable)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgument(SyscallError):
    code = "invalid"


class PermissionDenied(SyscallError):
    code = "permission"


class Denied(SyscallError):
    """A rule denied the call."""

    code = "denied"


class ApprovalDenied(SyscallError):
    code = "approval_denied"


class NotFound(SyscallError):
    code = "not_found"


class BudgetExceeded(SyscallError):
    code = "budget"


class Killed(SyscallError):
    code = "killed"


class Terminated(SyscallError):
    """TERM arrived: clean up and exit."""

    code = "terminated"


class Timeout(SyscallError):
    code = "timeout"


class Unavailable(SyscallError):
    code = "unavailable"


class Busy(SyscallError):
    """The target cannot take more now (a full message queue); try again later."""

    code = "busy"


_BY_CODE = {c.code: c for c in (InvalidArgument, PermissionDenied, Denied, ApprovalDenied, NotFound,
                                BudgetExceeded, Killed, Terminated, Timeout, Unavailable, Busy)}


def error_from_wire(err: WireError) -> SyscallError:
    cls = _BY_CODE.get(err.code, SyscallError)
    return cls(err.message, retryable=err.retryable, code=err.code)
