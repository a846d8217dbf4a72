"""Reliability: the journal and crash recovery, the watchdog, injected faults, and traces."""
from kernel.reliability.journal import Journal

__all__ = ["Journal"]
