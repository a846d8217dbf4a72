"""OpenAI's error object, and the HTTP status for each way a request or its syscall can fail."""
from __future__ import annotations

import msgspec

from syscalls.errors import SyscallError

# syscall error code -> (HTTP status, OpenAI error type)
_BY_CODE = {
    "invalid": (400, "invalid_request_error"),
    "permission": (403, "permission_error"),
    "denied": (403, "permission_error"),
    "approval_denied": (403, "permission_error"),
    "not_found": (404, "not_found_error"),
    "budget": (429, "insufficient_quota"),
    "busy": (429, "rate_limit_error"),
    "killed": (503, "process_ended"),
    "terminated": (503, "process_ended"),
    "timeout": (503, "timeout"),
    "unavailable": (503, "service_unavailable"),
    "llm_error": (503, "server_error"),
}


class ApiError(Exception):
    """A failed request, answered as ``{"error": {message, type, param, code}}`` with ``status``."""

    def __init__(self, status: int, message: str, type: str = "invalid_request_error", *,
                 code: str | None = None, param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type, code, param

    def body(self) -> bytes:
        return msgspec.json.encode({"error": {"message": self.message, "type": self.type, "param": self.param,
                                              "code": self.code}})

    @property
    def retry(self) -> bool:
        """Whether a client should try again (OpenAI's clients read ``x-should-retry``)."""
        return self.status >= 500 and self.type not in ("process_ended",)


def from_syscall(exc: SyscallError) -> ApiError:
    status, kind = _BY_CODE.get(exc.code, (500, "server_error"))
    return ApiError(status, exc.message, kind, code=exc.code)


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, "invalid_request_error", code="invalid_value", param=param)


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, "invalid_request_error", code="invalid_api_key")


def ended(pid: int, reason: str, limit: float | None = None) -> ApiError:
    """The process this request belonged to ended while (or before) it ran."""
    if reason.startswith("budget:"):
        name = reason.split(":", 1)[1]
        what = f"its {name} budget" + (f" ({limit:g})" if limit is not None else "")
        return ApiError(429, f"process {pid} used up {what}; the process has ended",
                        "insufficient_quota", code="budget_exceeded")
    return ApiError(503, f"process {pid} has ended ({reason or 'killed'})", "process_ended", code="process_ended")
