"""The llmos kernel: process table, scheduler, syscall dispatch, signals, budgets, event log."""
from kernel.config import KernelConfig, default_home
from kernel.kernel import Kernel
from kernel.proc.process import Process, State
from kernel.sched.scheduler import POLICIES, Scheduler

__all__ = ["Kernel", "KernelConfig", "default_home", "Process", "State", "Scheduler", "POLICIES"]
