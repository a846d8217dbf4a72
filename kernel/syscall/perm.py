"""Fine-grained grants beyond syscall names, checked against a process and every ancestor.

A child's effective grants are the intersection of its own and each ancestor's: a request
passes only if every grant set on the chain (the process's own, what its parent asked for it
at ``proc.spawn``, the parent's own, and so on up) allows it.  Nothing is compared as text;
each set is evaluated on the request itself (pattern semantics: kernel/syscall/grantglob.py).
"""
from __future__ import annotations

from typing import Any

from apps.manifest import Permissions
from kernel.proc.process import Process
from kernel.syscall.grantglob import Match, allowed, name_match, path_match


def listed(perms: Permissions, field: str) -> list[str]:
    """What one grant set lists under ``field`` of ``[permissions]``."""
    lists = {"syscalls": perms.syscalls, "tools": perms.tools, "files": perms.files, "browser": perms.browser,
             "memory": perms.memory, "spawn": perms.spawn}
    return lists[field]


def grant_sets(proc: Process) -> list[tuple[str, Any]]:
    """(app, Permissions) for the process and each set above it; an unrestricted (kernel-internal)
    process or ancestor adds none."""
    own = [] if proc.permissions is None else [(proc.app, proc.permissions)]
    return own + [(app, p) for app, p in proc.lineage if p is not None]


def chain_allows(proc: Process, field: str, value: str, match: Match = name_match) -> bool:
    return all(allowed(listed(perms, field), value, match) for _app, perms in grant_sets(proc))


def refusal(proc: Process, field: str, value: str, what: str, match: Match = name_match) -> str:
    """Why ``value`` is refused, naming the set that refuses it: the app's own manifest, or an
    ancestor (what a person needs to know to fix it)."""
    for i, (app, perms) in enumerate(grant_sets(proc)):
        if not allowed(listed(perms, field), value, match):
            if i == 0 and proc.permissions is not None:
                return f"app '{proc.app}' is not granted {what} (add it to [permissions] {field})"
            return (f"app '{proc.app}' may not use {what}: a process above it (app '{app}') is not granted it, "
                    f"and a child never gets more than its parent")
    return ""


def syscall_granted(proc: Process, name: str) -> bool:
    return chain_allows(proc, "syscalls", name)


def path_granted(proc: Process, path: str) -> bool:
    return chain_allows(proc, "files", path, path_match)


def path_in_scope(globs: list[str], path: str) -> bool:
    """Whether a workspace path matches an app's ``files`` globs alone (``llmos cp``, ``run --file``:
    the person copies under the app's own scope), with the same pattern semantics."""
    return allowed(globs, path, path_match)


def tool_granted(proc: Process, tool: str) -> bool:
    return chain_allows(proc, "tools", tool)


def privilege_granted(proc: Process, grant: str) -> bool:
    """A named privilege (syscalls.table.GRANTS) written out whole in the app's syscalls; a process
    without a manifest's grants (the person's own) has every privilege."""
    return proc.permissions is None or grant in proc.permissions.syscalls


def spawn_granted(proc: Process, app: str) -> bool:
    return chain_allows(proc, "spawn", app)


def memory_layers(proc: Process) -> tuple[list[str] | None, list[tuple[str, list[str]]]]:
    """The process's own memory grants (None: unrestricted) and each ancestor's as (app, patterns)."""
    own = None if proc.permissions is None else list(proc.permissions.memory)
    return own, [(app, list(p.memory)) for app, p in proc.lineage if p is not None]
