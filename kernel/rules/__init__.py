"""The rules engine: allow / deny / ask for every syscall and plan, and human approvals.

The kernel builds a `Call` for every syscall, asks `RulesEngine.decide(call)`, logs
`to_event(decision, call)`, and for `ask` opens an approval in an `ApprovalBook` and
awaits it while the process is BLOCKED. See docs/rules.md.
"""

from kernel.rules.approvals import Approval, ApprovalBook, UnknownApproval, call_hash
from kernel.rules.audit import summarise_args, to_event
from kernel.rules.engine import RulesEngine
from kernel.rules.errors import RulesError
from kernel.rules.model import Call, Decision, Effect, Explanation, PlanItem, PlanStep, PlanVerdict
from kernel.rules.names import KNOWN_SYSCALLS
from kernel.rules.parse import RuleSet, default_rules_path, load_rules_file, parse_rules

__all__ = [
    "KNOWN_SYSCALLS",
    "Approval",
    "ApprovalBook",
    "Call",
    "Decision",
    "Effect",
    "Explanation",
    "PlanItem",
    "PlanStep",
    "PlanVerdict",
    "RuleSet",
    "RulesEngine",
    "RulesError",
    "UnknownApproval",
    "call_hash",
    "default_rules_path",
    "load_rules_file",
    "parse_rules",
    "summarise_args",
    "to_event",
]
