"""Running an app's code as a process: the agent loop or a Python entry, and what a child inherits."""
from __future__ import annotations

import fnmatch
import hashlib
import importlib
import importlib.util
import sys as _sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from apps.manifest import Budgets, Manifest, Permissions
from syscalls.errors import PermissionDenied, Unavailable

from . import agent, agent_plan, budget, execprog
from .proc import Process

if TYPE_CHECKING:
    from .kernel import Kernel


async def run_app(k: Kernel, proc: Process, manifest: Manifest) -> Any:
    if proc.program is not None:  # `llmos exec`: a program llmos did not write, calling the OpenAI API
        return await execprog.run(k, proc, proc.program)
    sys = k.sys_for(proc)
    if manifest.is_prompt:
        planner = agent_plan.for_process(k, proc) if getattr(manifest.agent, "plan", False) else None
        return await agent.run(sys, manifest.agent, proc.task, planner, context=k.memory is not None)
    if manifest.isolation != "kernel":
        if k.isolate is None:
            raise Unavailable(f"app '{manifest.name}' asks for isolation '{manifest.isolation}', "
                              f"which needs the kernel daemon (`llmos boot`) and, for containers, a sandbox")
        return await k.isolate(k, proc, manifest)
    return await load_entry(manifest)(sys, proc.task)


def load_entry(manifest: Manifest) -> Callable[..., Awaitable[Any]]:
    """Import ``module:function`` from the app's folder (bundled apps import as ``apps.<name>``)."""
    module_name, func = manifest.entry.split(":")
    folder = Path(manifest.path)
    bundled = folder.parent == Path(__file__).resolve().parent.parent / "apps"
    if bundled:
        mod = importlib.import_module(f"apps.{folder.name}.{module_name}")
    else:
        rel = Path(*module_name.split("."))
        source = (folder / rel).with_suffix(".py")
        if not source.is_file():
            source = folder / rel / "__init__.py"
        try:
            code = source.read_bytes()
        except OSError as exc:
            raise Unavailable(f"app '{manifest.name}': cannot read module {module_name!r}: {exc}") from None
        # one module per exact source: two apps (or two versions) never share a cached module
        tag = hashlib.sha256(str(source).encode() + b"\0" + code).hexdigest()[:12]
        unique = f"llmos_app_{manifest.name}_{tag}_{module_name}".replace(".", "_").replace("-", "_")
        mod = _sys.modules.get(unique)
        deps = folder / ".deps"  # the app's own pip packages (``llmos install``), after the kernel's
        if mod is None and deps.is_dir() and str(deps) not in _sys.path:
            _sys.path.append(str(deps))
        if mod is None:
            spec = importlib.util.spec_from_file_location(unique, source)
            if spec is None or spec.loader is None:
                raise Unavailable(f"app '{manifest.name}': cannot load module {module_name!r}")
            mod = importlib.util.module_from_spec(spec)
            _sys.modules[unique] = mod
            try:
                spec.loader.exec_module(mod)
            except BaseException:
                _sys.modules.pop(unique, None)  # a broken module is not cached
                raise
    fn = getattr(mod, func, None)
    if not callable(fn):
        raise Unavailable(f"app '{manifest.name}': entry {manifest.entry!r} names no function in {module_name}")
    return fn


def _narrow(child: list[str], parent: list[str]) -> list[str]:
    """The intersection of two grant lists: a child grant the parent's grants cover stays as it is;
    one broader than the parent's is replaced by the parent's grants it covers ("llm.*" under a
    parent holding "llm.chat" becomes "llm.chat")."""
    out: list[str] = []
    for c in child:
        if any(fnmatch.fnmatchcase(c, p) for p in parent):
            out.append(c)
        else:
            out += [p for p in parent if fnmatch.fnmatchcase(p, c)]
    return list(dict.fromkeys(out))


def inherit(parent: Process, perms: Permissions, budg: Budgets,
            requested: list[str] | Permissions | None) -> tuple[Permissions, Budgets]:
    """A child's permissions can only narrow its parent's; its budget is carved out of the parent's.

    The child's token budget is reserved from the parent's at once (so two children cannot both
    be promised the same tokens); when the child ends, ``settle`` returns what it did not spend."""
    pp = parent.permissions
    if pp is not None:
        perms = Permissions(**{f: _narrow(getattr(perms, f), getattr(pp, f)) for f in Permissions.__struct_fields__})
    if isinstance(requested, list):
        perms = msgspec.structs.replace(perms, syscalls=[s for s in perms.syscalls
                                                         if any(fnmatch.fnmatchcase(s, r) for r in requested)])
    elif isinstance(requested, Permissions):
        perms = Permissions(**{f: _narrow(getattr(perms, f), getattr(requested, f))
                               for f in Permissions.__struct_fields__})
    kids = budget.limits(parent).get("children")
    if kids is not None and parent.usage.children + 1 > kids:
        raise PermissionDenied(f"pid {parent.pid} has used its budget of children ({kids:g})")
    left = budget.remaining(parent)
    caps = {}
    for name in ("tokens", "steps", "syscalls", "wall_seconds", "llm_seconds", "sandbox_cpu_seconds"):
        if name in left:
            own = getattr(budg, name)
            caps[name] = type(left[name])(max(0, left[name])) if own is None else min(own, max(0, left[name]))
    if "tokens" in caps:
        if caps["tokens"] <= 0:
            raise PermissionDenied(f"pid {parent.pid} has no tokens left to give a child")
        parent.usage.children_tokens += caps["tokens"]  # reserved now, settled when the child ends
    return perms, msgspec.structs.replace(budg, **caps)


def settle(parent: Process | None, child: Process) -> None:
    """Give the parent back the part of the child's reserved token budget it did not spend."""
    if parent is not None and "tokens" in budget.limits(parent) and child.budgets is not None \
            and child.budgets.tokens is not None:
        parent.usage.children_tokens -= child.budgets.tokens


def releasers(k: Kernel) -> list[Callable[[str], Awaitable[None]]]:
    """Per-owner clean-up hooks of the drivers a process may have used."""
    out = []
    for drv in (k.sandbox, k.browser):
        if drv is not None and hasattr(drv, "release"):
            out.append(drv.release)
    return out
