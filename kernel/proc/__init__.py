"""Processes: the process table, states and signals' targets, how an app's code runs (in the kernel, jailed or
in a container), external programs (``llmos exec``), budgets, and the ``proc`` syscalls."""
from kernel.proc.process import Process, State
from kernel.proc.ptable import ProcTable

__all__ = ["Process", "State", "ProcTable"]
