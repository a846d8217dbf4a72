"""The llmos shell: a REPL with job control on the kernel daemon."""
from .parse import ParseError, parse
from .repl import Shell, main

__all__ = ["ParseError", "Shell", "main", "parse"]
