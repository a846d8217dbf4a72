"""The reliability boot steps: the journal (with crash recovery), the watchdog, and injected faults."""
from __future__ import annotations

from kernel.reliability import boot_journal, faults, watchdog

STEPS = {"journal": boot_journal.attach, "watchdog": watchdog.attach, "faults": faults.attach}
