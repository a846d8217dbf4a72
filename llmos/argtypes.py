"""argparse types shared by the CLI's commands."""
from __future__ import annotations

import argparse


def positive(text: str) -> int:
    """A whole number above zero, or argparse's one-line usage error."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {n}")
    return n
