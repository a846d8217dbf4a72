"""structlog set-up: JSON lines to a file under the llmos home, pretty on a terminal."""
from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, BinaryIO

import msgspec
import structlog

_encoder = msgspec.json.Encoder(enc_hook=repr)  # anything msgspec cannot encode is logged as its repr
_sink: _Sink | None = None


class _Sink:
    """The logger at the end of structlog's chain: one JSON line per event to the file, written and
    flushed at once, and pretty lines on stderr when asked.  It skips the stdlib ``logging`` machinery
    (two LogRecords and a stack walk per event), which cost more than the rest of a syscall
    (measured by ``make bench``: kernel overhead per syscall)."""

    def __init__(self, file: BinaryIO | None, console: Any):
        self.file, self.console = file, console

    def write(self, **event: Any) -> None:
        if self.file is not None:
            self.file.write(_encoder.encode(event) + b"\n")
            self.file.flush()
        if self.console is not None:
            sys.stderr.write(self.console(None, "", dict(event)) + "\n")

    debug = info = msg = warning = warn = error = err = critical = exception = fatal = write

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def _as_kwargs(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event  # the sink receives the event dict as keyword arguments


def configure(log_file: str | Path | None, *, console: bool = False, level: str = "info") -> None:
    """One processor chain for the kernel.  Attribute names follow OpenTelemetry's GenAI conventions."""
    global _sink
    if _sink is not None:
        _sink.close()
    file = None
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        file = open(log_file, "ab")  # noqa: SIM115 - kept open for the kernel's life, closed on reconfigure
    pretty = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()) if console else None
    sink = _sink = _Sink(file, pretty)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _as_kwargs,
        ],
        logger_factory=lambda *args: sink,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )
