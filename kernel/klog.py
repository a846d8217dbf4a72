"""structlog set-up: JSON lines to a file under the llmos home, pretty on a terminal."""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import structlog


def configure(log_file: str | Path | None, *, console: bool = False, level: str = "info") -> None:
    """One processor chain for the kernel.  Attribute names follow OpenTelemetry's GenAI conventions."""
    handlers: list[logging.Handler] = []
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(structlog.stdlib.ProcessorFormatter(processor=structlog.processors.JSONRenderer()))
        handlers.append(fh)
    if console:
        ch = logging.StreamHandler(sys.stderr)
        ch.setFormatter(structlog.stdlib.ProcessorFormatter(processor=structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())))
        handlers.append(ch)
    root = logging.getLogger("llmos")
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    for h in handlers:
        root.addHandler(h)
    root.setLevel(level.upper())
    root.propagate = False
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
