"""``llmos eval``: run an app over a suite of tasks and report success with intervals, cost and failures."""
from __future__ import annotations

from .checkers import CheckError, check
from .suite import Item, Suite, SuiteError, load_suite, split_of

__all__ = ["CheckError", "Item", "Suite", "SuiteError", "check", "load_suite", "split_of"]
