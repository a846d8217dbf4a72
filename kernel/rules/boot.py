"""Boot step "rules": load the rules files, put a RulesGate on ``k.rules``, and wire approvals and taint.

Fail closed: a rules file that does not load raises RulesError from this step, and the kernel does
not boot (kernel/boot.py lets this step's errors through).  ``check_home`` is the same check made
before a daemon is started, so ``llmos boot`` and the shell say why at once."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from kernel.browser import sysbrowser
from kernel.proc import budget
from kernel.rules import ApprovalBook, RulesError
from kernel.rules.gate import RulesGate, request_args
from kernel.rules.load import load_all, load_strict
from kernel.rules.untrusted import Taint, reply_text

if TYPE_CHECKING:
    from kernel.kernel import Kernel


def build_gate(k: Kernel) -> RulesGate:
    """The gate for this kernel's home, apps and configuration; a file that does not load raises
    RulesError (after an event naming it), so the kernel never runs with fewer rules than written."""
    manifests = _manifests(k)
    loaded = load_all(k.home, manifests, k.config.rules_files)
    for err in loaded.errors:
        k.events.emit("rules.load_error", file=err.file, line=err.line, reason=err.reason,
                      message=f"rules file not loaded: {err}")
    if loaded.errors:
        raise loaded.errors[0]
    for warning in loaded.engine.warnings:
        k.events.emit("rules.warning", message=warning)
    k.events.emit("rules.loaded", files=[str(s.path) for s in loaded.sources], rules=len(loaded.engine.rules),
                  errors=len(loaded.errors))
    taint = Taint(on_saturate=lambda pid, why: k.events.emit(
        "taint.saturated", pid, reason=why,
        message="this process read more untrusted text than the kernel remembers; every high-risk call now asks"))

    def observe(proc: Any, name: str, reply: Any) -> None:
        taint.observe(proc.pid, reply_text(name, reply, k.tools))

    gate = RulesGate(loaded.engine, ApprovalBook(ttl=k.config.approval_ttl),
                     untrusted=lambda proc, name, req: taint.tainted(proc.pid, request_args(req)),
                     budgets_left=budget.remaining, observe=observe,
                     enrich=sysbrowser.describe, taint=taint, sources=list(loaded.sources),
                     load_errors=list(loaded.errors))
    return gate


def _manifests(k: Kernel) -> list[Any]:
    try:
        return list(k.registry.all().values())
    except Exception as exc:  # noqa: BLE001 - an app's rules.toml we cannot find is a rule not in force
        k.events.emit("rules.load_error", file="<apps>", reason=f"cannot list apps: {exc}")
        raise RulesError(f"cannot list the installed apps to find their rules.toml: {exc}",
                         file=str(k.home / "apps")) from None


def check_home(config: Any, registry: Any) -> None:
    """Raise RulesError for the first rules file of this configuration that does not load."""
    try:
        manifests = list(registry.all().values())
    except Exception as exc:  # noqa: BLE001 - said as a rules error, like the boot step does
        raise RulesError(f"cannot list the installed apps to find their rules.toml: {exc}",
                         file=str(config.home_path() / "apps")) from None
    load_strict(config.home_path(), manifests, config.rules_files)


async def attach(k: Kernel, stack: contextlib.AsyncExitStack) -> None:
    gate = build_gate(k)
    k.rules = gate

    async def on_exit(proc: Any) -> None:
        for aid in gate.cancel_for(proc.pid):
            k.events.emit("approval.cancelled", proc.pid, approval=aid, reason="process ended")
        if gate.taint is not None:
            gate.taint.forget(proc.pid)

    k.hooks.exit.append(on_exit)
