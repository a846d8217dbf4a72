"""The syscall table: one msgspec Struct per request and reply, and the SDK apps import.

Apps see only this package.  A program gets a ``Sys`` object and calls
``await sys.llm.chat(...)``, ``await sys.fs.write(...)``, ``await sys.proc.spawn(...)``;
every call is a typed request answered by a typed reply or a typed ``SyscallError``.
"""
from .base import Empty, Reply, Request
from .errors import (
                     ApprovalDenied,
                     BudgetExceeded,
                     Busy,
                     Denied,
                     InvalidArgument,
                     Killed,
                     NotFound,
                     PermissionDenied,
                     SyscallError,
                     Terminated,
                     Timeout,
                     Unavailable,
                     error_from_wire,
)
from .sdk import Sys
from .table import TABLE, decode_request, encode
from .transport import InProcTransport, SocketTransport, Transport

__all__ = [
    "Empty", "Reply", "Request", "Sys", "TABLE", "decode_request", "encode",
    "Transport", "InProcTransport", "SocketTransport",
    "SyscallError", "PermissionDenied", "InvalidArgument", "NotFound", "BudgetExceeded", "Killed", "Terminated",
    "Timeout", "Unavailable", "Denied", "ApprovalDenied", "error_from_wire", "Busy",
]
