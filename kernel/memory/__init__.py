"""The memory manager: each process's context is RAM, its vector-store collection is disk.

The kernel makes one :class:`MemoryService` over its ``VectorStore``, calls
``open`` (or ``resume``) per process, adds pages to ``ProcessMemory.context``,
sends ``context.pages_for_prompt()`` to the model, calls ``recall_for`` when a
step needs old context, and serves ``mem.*`` syscalls with ``mem_store``,
``mem_recall``, ``mem_forget`` and ``mem_pin``."""
from kernel.memory.context import Context, CountTokens
from kernel.memory.grants import DEFAULT_GRANTS, Grants, MemoryDenied, app_collection, proc_collection, user_collection
from kernel.memory.page import KINDS, Page, PageKind
from kernel.memory.policy import OldestFirst, Policy, Scored, make_policy
from kernel.memory.process import ProcessMemory
from kernel.memory.recall import recall_page
from kernel.memory.service import MemoryService
from kernel.memory.state import ContextFull, ContextState
from kernel.memory.swap import Swap

__all__ = ["Context", "ContextFull", "ContextState", "CountTokens", "DEFAULT_GRANTS", "Grants", "MemoryDenied",
           "app_collection", "proc_collection", "user_collection", "KINDS", "Page", "PageKind", "OldestFirst",
           "Policy", "Scored", "make_policy", "ProcessMemory", "recall_page", "MemoryService", "Swap"]
