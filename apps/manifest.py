"""The ``app.toml`` schema, validated with clear errors that name the file and the key."""
from __future__ import annotations

import fnmatch
import hashlib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

NAME_RE = r"^[a-z][a-z0-9_-]{0,39}$"
Str = Annotated[str, msgspec.Meta(max_length=20000)]


class ManifestError(ValueError):
    pass


class Permissions(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What an app may do.  Anything not granted is denied."""

    syscalls: list[str] = []  # names or globs: "llm.*", "fs.read", "tool.call"
    tools: list[str] = []  # tool names or globs: "calculator", "python", "mcp.server.*"
    files: list[str] = []  # path globs in the workspace ("notes/*", "out/**"); none when left out
    browser: list[str] = []  # allowed origins: "127.0.0.1:*", "*.example.org"
    memory: list[str] = []  # long-term collections: "user:*", "app:assistant"
    spawn: list[str] = []  # apps it may start as children


class Budgets(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Limits the kernel enforces; a breach ends the process with ``budget:<name>``."""

    tokens: Annotated[int, msgspec.Meta(ge=0)] | None = None
    steps: Annotated[int, msgspec.Meta(ge=0)] | None = None
    syscalls: Annotated[int, msgspec.Meta(ge=0)] | None = None
    wall_seconds: Annotated[float, msgspec.Meta(ge=0)] | None = None
    llm_seconds: Annotated[float, msgspec.Meta(ge=0)] | None = None
    children: Annotated[int, msgspec.Meta(ge=0)] | None = None
    sandbox_cpu_seconds: Annotated[float, msgspec.Meta(ge=0)] | None = None


class Agent(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A prompt-only app, run by the kernel's agent loop."""

    system_prompt: Str = "You are a helpful assistant."
    tools: list[str] = []
    output_schema: dict[str, Any] | None = None
    max_steps: Annotated[int, msgspec.Meta(ge=1, le=100)] = 8
    max_tokens_per_step: Annotated[int, msgspec.Meta(ge=16, le=4096)] = 160
    examples: list[dict[str, Any]] = []  # few-shot turns: {"task": ..., "steps": [...]}
    # tool -> a regex over the task: when it matches, the first step must call that tool (kernel/agent/loop.py)
    route: dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]] = {}
    # when no route matches and the task is not arithmetic, the first step calls the tool under whose
    # description the task is likeliest, if likelier than under "a general question" (kernel/agent/route.py)
    route_by_likelihood: bool = False
    # a task routed to no tool (the general question won) is answered in plain chat, free text under the
    # system prompt alone, not under the action schema after the tool examples (kernel/agent/knowledge.py)
    knowledge_in_chat: bool = False
    # tools whose output is the answer's source: once one has answered, the answer is that output or one of
    # its parts (kernel/agent/steps.py: output_parts), as an arithmetic answer is one of the calculator's results
    answer_from: list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = []
    # tool -> one of its string arguments: when a route sends the first step to that tool, the task itself is
    # that argument (a dictionary looks up the question as asked, not a word the model picks from it)
    task_to: dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = {}
    # an app that solves arithmetic word problems: a task that asks for a sum in words without writing it
    # ("3 notebooks at $4.75 each and a pen for $1.20") is handed to it as a child process first, and its
    # number is the answer (kernel/agent/delegate.py); the app must be in [permissions] spawn
    sums_to: Annotated[str, msgspec.Meta(pattern=r"^([a-z][a-z0-9_-]{0,39})?$")] = ""
    plan: bool = False  # ask for a plan first and have the rules check it whole (kernel/agent/plan.py)


class Manifest(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Annotated[str, msgspec.Meta(pattern=NAME_RE)]
    version: Annotated[str, msgspec.Meta(max_length=40)] = "0.1.0"
    description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    author: Annotated[str, msgspec.Meta(max_length=200)] = ""
    entry: Annotated[str, msgspec.Meta(pattern=r"^(prompt|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")] = "prompt"
    isolation: Literal["kernel", "process", "container"] = "kernel"
    priority: Annotated[int, msgspec.Meta(ge=0, le=39)] = 20
    restart: Literal["never", "resume"] = "never"
    # which engine its processes run on (kernel/sched/engines.py): one by name, or any whose context
    # window per process is at least min_context tokens; the person's [apps] mapping wins over both
    model: Annotated[str, msgspec.Meta(pattern=r"^([a-z][a-z0-9_-]{0,39})?$")] = ""
    min_context: Annotated[int, msgspec.Meta(ge=1, le=1 << 21)] | None = None
    permissions: Permissions = msgspec.field(default_factory=Permissions)
    budgets: Budgets = msgspec.field(default_factory=Budgets)
    agent: Agent = msgspec.field(default_factory=Agent)
    # pip requirements installed into an app-private folder (never into the kernel's environment)
    dependencies: list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]] = []
    sandbox: dict[str, Any] = {}  # container limits within system maxima (docs/sandbox.md), e.g. memory_mb
    path: str = ""  # the folder it was loaded from (set by the loader)
    digest: str = ""  # sha256 of app.toml (set by the loader)
    # whether the person trusts its code to run inside the kernel (set by the registry, never by
    # app.toml): bundled apps, and apps installed with `llmos install --trust`
    trusted: bool = False

    @property
    def is_prompt(self) -> bool:
        return self.entry == "prompt"


def parse_manifest(text: str, source: str = "app.toml", folder: str = "") -> Manifest:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{source}: {exc}") from None
    if "trusted" in data:
        raise ManifestError(f"{source}: key 'trusted' cannot be set by an app; the person trusts an app "
                            "when installing it (`llmos install --trust`)")
    for key in ("path", "digest"):
        data.pop(key, None)
    try:
        m = msgspec.convert(data, Manifest)
    except msgspec.ValidationError as exc:
        raise ManifestError(f"{source}: {_pretty(exc)}") from None
    m.path, m.digest = folder, hashlib.sha256(text.encode()).hexdigest()
    problem = check(m, folder)
    if problem:
        raise ManifestError(f"{source}: {problem}")
    return m


def load_manifest(folder: str | Path) -> Manifest:
    folder = Path(folder)
    f = folder / "app.toml"
    if not f.is_file():
        raise ManifestError(f"{folder}: no app.toml")
    return parse_manifest(f.read_text(encoding="utf-8"), str(f), str(folder.resolve()))


def check(m: Manifest, folder: str = "") -> str:
    """What the schema alone cannot say: keys that must agree with each other and with the folder."""
    from syscalls.table import GRANTS, TABLE  # the syscall names a grant may match, and named privileges
    if m.model and m.min_context is not None:
        return "key 'min_context': give either 'model' (an engine by name) or 'min_context', not both"
    for i, pattern in enumerate(m.permissions.syscalls):
        if pattern not in GRANTS and not any(fnmatch.fnmatchcase(name, pattern.removeprefix("!")) for name in TABLE):
            return f"key 'permissions.syscalls[{i}]': {pattern!r} matches no syscall (e.g. 'llm.*', 'fs.read')"
    for i, tool in enumerate(m.agent.tools):
        if not any(fnmatch.fnmatchcase(tool, g) for g in m.permissions.tools):
            return f"key 'agent.tools[{i}]': tool {tool!r} is not granted in permissions.tools"
    if m.is_prompt:
        from .examples import problem, route_problem
        bad = (problem(m.agent.examples, m.agent.tools) or route_problem(m.agent.route, m.agent.tools)
               or next((f"key 'agent.answer_from[{i}]': {t!r} is not one of agent.tools"
                        for i, t in enumerate(m.agent.answer_from) if t not in m.agent.tools), "")
               or next((f"key 'agent.task_to.{t}': {t!r} is not one of agent.tools"
                        for t in m.agent.task_to if t not in m.agent.tools), "")
               or sums_problem(m))
        if bad:
            return bad
        if m.isolation != "kernel":
            return "key 'isolation': a prompt app runs in the kernel's agent loop; use isolation = \"kernel\""
        if not any(fnmatch.fnmatchcase("llm.json", p) for p in m.permissions.syscalls):
            return "key 'permissions.syscalls': a prompt app needs 'llm.json' (or 'llm.*') for its agent loop"
    elif folder:
        module = m.entry.split(":")[0]
        rel = Path(*module.split("."))
        if not ((Path(folder) / rel).with_suffix(".py").is_file() or (Path(folder) / rel / "__init__.py").is_file()):
            return f"key 'entry': module {module!r} not found ({rel}.py in {folder})"
    return ""


def sums_problem(m: Manifest) -> str:
    """What is wrong with ``[agent] sums_to``: the app it names must be one the manifest may spawn, with
    the syscalls that start, wait for and stop a child."""
    app = m.agent.sums_to
    if not app:
        return ""
    if not any(fnmatch.fnmatchcase(app, g) for g in m.permissions.spawn):
        return f"key 'agent.sums_to': app {app!r} is not in permissions.spawn"
    for name in ("proc.spawn", "proc.wait", "proc.kill"):
        if not any(fnmatch.fnmatchcase(name, p) for p in m.permissions.syscalls):
            return f"key 'agent.sums_to': it needs {name!r} in permissions.syscalls (or 'proc.*')"
    return ""


def _pretty(exc: msgspec.ValidationError) -> str:
    msg = str(exc)
    at = re.search(r"- at `\$\.?(.*)`$", msg)
    where = at.group(1) if at else ""
    unknown = re.search(r"unknown field `(.+?)`", msg)
    if unknown:
        return f"unknown key '{where + '.' if where else ''}{unknown.group(1)}'"
    if at:
        return f"key '{where or '(top level)'}': {msg[:at.start()].strip()}"
    missing = re.search(r"missing required field `(.+?)`", msg)
    if missing:
        return f"key '{missing.group(1)}' is required"
    return msg
