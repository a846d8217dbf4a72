"""Helpers for the memory tests: a word counter standing in for the model's tokenizer."""
from __future__ import annotations


def words(text: str) -> int:
    """Token counter for tests: one token per whitespace-separated word.  The kernel
    passes the model's real tokenizer; the budget logic only needs *a* counter."""
    return len(text.split())
