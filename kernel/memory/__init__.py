"""The memory manager: each process's context is RAM, its vector-store collection is disk.

One manager per kernel, ``KernelMemory`` (kernelmem.py, ``k.memory``). It keeps every process's
``ProcessMemory`` in a ``MemoryRegistry`` (open or resume on spawn, release on exit), runs store calls
in a worker thread, and answers the ``mem.*`` syscalls (sysmem.py). Each generation step builds its
prompt from the process's ``Context`` (prompt.py): new messages become pages, a page fault
(``ProcessMemory.page_fault``) returns the page and the hits it recalled, and one fit against the
engine's own template pages out what does not fit. ``MemoryAdmin`` is the person's view of the
long-term collections (``llmos mem``)."""
from kernel.memory.context import Context, CountTokens
from kernel.memory.grants import DEFAULT_GRANTS, Grants, MemoryDenied, app_collection, proc_collection, user_collection
from kernel.memory.page import KINDS, Page, PageKind
from kernel.memory.policy import OldestFirst, Policy, Scored, make_policy
from kernel.memory.process import ProcessMemory
from kernel.memory.recall import recall_page
from kernel.memory.registry import MemoryRegistry
from kernel.memory.state import ContextFull, ContextState
from kernel.memory.swap import Swap

__all__ = ["Context", "ContextFull", "ContextState", "CountTokens", "DEFAULT_GRANTS", "Grants", "MemoryDenied",
           "app_collection", "proc_collection", "user_collection", "KINDS", "Page", "PageKind", "OldestFirst",
           "Policy", "Scored", "make_policy", "ProcessMemory", "recall_page", "MemoryRegistry", "Swap"]
