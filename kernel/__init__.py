"""The llmos kernel: process table, scheduler, syscall dispatch, signals, budgets, event log."""
from .config import KernelConfig, default_home
from .kernel import Kernel
from .proc import Process, State
from .sched import POLICIES, Scheduler

__all__ = ["Kernel", "KernelConfig", "default_home", "Process", "State", "Scheduler", "POLICIES"]
