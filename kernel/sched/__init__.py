"""The scheduler: LLM sequence slots are the cores.  Policies, queueing that is not failure, KV that follows a
process, and the ``llm`` syscalls that run under a slot."""
from kernel.sched.scheduler import POLICIES, Scheduler

__all__ = ["POLICIES", "Scheduler"]
