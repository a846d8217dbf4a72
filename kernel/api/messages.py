"""The kernel API's wire messages: one msgspec Struct per request, plus replies, errors and stream items."""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

import msgspec

from syscalls.proc import ProcInfo

Pid = Annotated[int, msgspec.Meta(ge=1)]
Signal = Annotated[str, msgspec.Meta(pattern="^(TERM|KILL|STOP|CONT)$")]
Text = Annotated[str, msgspec.Meta(max_length=256 * 1024)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Who = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")]  # a memory user


class Request(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, kw_only=True):
    """A client's request; ``id`` is echoed in the reply so a client can match them."""

    id: int = 0


class Status(Request, tag="status"):
    pass


class Spawn(Request, tag="spawn"):
    app: Name
    task: Text = ""
    priority: Annotated[int, msgspec.Meta(ge=0, le=39)] | None = None
    budgets: dict[str, float] = {}
    files: dict[Name, bytes] = {}  # put in the workspace before it starts (``llmos run --file``)
    engine: str = ""  # the engine it runs on, by name (``llmos run --engine``); "" lets the kernel route it
    user: Who | None = None  # whose memory it uses (``llmos eval`` gives each item its own); else the kernel's user


class Kill(Request, tag="kill"):
    pid: Pid
    signal: Signal = "TERM"


class Wait(Request, tag="wait"):
    pid: Pid
    timeout: Annotated[float, msgspec.Meta(gt=0, le=86400)] | None = None


class Ps(Request, tag="ps"):
    all: bool = False  # also processes already reaped into history


class Logs(Request, tag="logs"):
    pid: Pid


class Apps(Request, tag="apps"):
    pass


class Approvals(Request, tag="approvals"):
    """Pending approvals; ``approval`` picks one.  ``full`` sends every argument whole; without it a
    payload argument (review.BULK) longer than a preview is sent shortened (see ``cut``)."""

    approval: Annotated[str, msgspec.Meta(max_length=64)] = ""
    full: bool = False


class Approve(Request, tag="approve"):
    approval: Name


class Deny(Request, tag="deny"):
    approval: Name
    reason: Text = ""


class Answer(Request, tag="answer"):
    """Answer a process's question (``user.ask``/``user.confirm``); ``approve``/``deny`` also answer a confirm."""

    question: Name
    text: Text


class Subscribe(Request, tag="subscribe"):
    """Turn this connection into a stream of events (for ``pid``, or all) and periodic stats."""

    pid: int = 0  # 0: every process
    events: bool = True
    stats_every: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 0.0  # 0: no stats


class Halt(Request, tag="halt"):
    pass


class CopyIn(Request, tag="cp.in"):
    """``llmos cp FILE PID:path``: a file into a process's workspace, within its app's files scope."""

    pid: Pid
    path: Name
    data: bytes


class CopyOut(Request, tag="cp.out"):
    """``llmos cp PID:path FILE``: a file out of a process's workspace (the process may have ended)."""

    pid: Pid
    path: Name


# -- long-term memory, as the person sees it (``llmos mem``; kernel/api/memapi.py) ---------------------


class MemStore(Request, tag="mem.store"):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=64 * 1024)]
    user: Who | None = None  # default: the kernel's user
    app: Who | None = None  # an app's collection instead of a user's
    kind: Annotated[str, msgspec.Meta(pattern="^[a-z_]{1,32}$")] = "fact"


class MemSearch(Request, tag="mem.search"):
    query: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    user: Who | None = None
    app: Who | None = None
    k: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5


class MemList(Request, tag="mem.list"):
    user: Who | None = None
    app: Who | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 100


class MemForget(Request, tag="mem.forget"):
    mem_id: Name  # ``id`` is the request's own


class MemDropUser(Request, tag="mem.drop_user"):
    user: Who  # every fact and preference of this user, gone (``llmos eval`` drops its items' users)


class MemItem(msgspec.Struct, kw_only=True):
    id: str
    text: str
    kind: str = ""
    collection: str = ""
    score: float | None = None
    time: float = 0.0


# -- programs llmos did not write (``llmos exec``; kernel/api/execapi.py) ------------------------------
Arg = Annotated[str, msgspec.Meta(max_length=64 * 1024)]


class Exec(Request, tag="exec"):
    """Run ``argv`` as a process: with its own OpenAI API key, under an app's manifest or the default one."""

    argv: Annotated[list[Arg], msgspec.Meta(min_length=1, max_length=4096)]
    app: Annotated[str, msgspec.Meta(max_length=256)] = ""
    manifest: Annotated[str, msgspec.Meta(max_length=4096)] = ""  # an app folder or its app.toml
    name: Annotated[str, msgspec.Meta(max_length=256)] = ""
    priority: Annotated[int, msgspec.Meta(ge=0, le=39)] | None = None
    budgets: dict[str, float] = {}
    isolation: Literal["host", "container"] = "host"
    cwd: Annotated[str, msgspec.Meta(max_length=4096)] = ""
    env: Annotated[dict[str, Arg], msgspec.Meta(max_length=4096)] = {}


class ApiKey(Request, tag="api.key"):
    """A new OpenAI API key for a live process (the socket's owner only)."""

    pid: Pid


class ExecStarted(msgspec.Struct, kw_only=True):
    pid: int
    url: str  # the API's base URL the program was given


class Auth(msgspec.Struct, tag="auth", tag_field="op", forbid_unknown_fields=True):
    """The first frame on the kernel API's TCP listener (kernel/api/remote.py); not a request on the socket."""

    token: Annotated[str, msgspec.Meta(max_length=1024)]


REQUESTS: tuple[type[msgspec.Struct], ...] = (Status, Spawn, Kill, Wait, Ps, Logs, Apps, Approvals, Approve, Deny, Answer, Subscribe, Halt)
REQUESTS += (MemStore, MemSearch, MemList, MemForget, MemDropUser, CopyIn, CopyOut)
REQUESTS += (Exec, ApiKey)
AnyRequest = Union[REQUESTS]  # type: ignore[valid-type]  # built at run time from the tuple; msgspec reads it


class Message(msgspec.Struct, tag_field="type", kw_only=True):
    """What the kernel sends back."""


class Ok(Message, tag="ok", kw_only=True):
    id: int
    value: Any = None


class Error(Message, tag="error", kw_only=True):
    id: int = 0
    code: str
    message: str


class Event(Message, tag="event", kw_only=True):
    event: dict[str, Any]


class EngineStat(msgspec.Struct, kw_only=True):
    """One of the kernel's engines (kernel/sched/engines.py) and its scheduler's slots."""
    name: str
    model: str
    slots_busy: int
    slots_total: int
    queued: int
    context: int  # tokens of context each process on it gets


class KernelStats(msgspec.Struct, kw_only=True):
    pid: int  # the daemon's OS pid
    home: str
    model: str  # the default engine's (``engines`` has every engine)
    policy: str
    started: float
    uptime: float
    slots_busy: int  # of the default engine, as ``model``
    slots_total: int
    queued: int
    tokens_out: int
    tokens_per_second: float
    procs: int
    by_state: dict[str, int]
    engines: list[EngineStat] = []


class Stats(Message, tag="stats", kw_only=True):
    stats: KernelStats


class ProcRow(ProcInfo, kw_only=True):
    """A process as ``ps`` and ``top`` show it: the kernel's ProcInfo plus its recent token rate."""

    tokens_per_second: float = 0.0
    ended: float | None = None


class AppInfo(msgspec.Struct, kw_only=True):
    name: str
    version: str = ""
    description: str = ""


class ApprovalInfo(msgspec.Struct, kw_only=True):
    id: str
    pid: int = 0
    call: str = ""
    reason: str = ""
    app: str = ""
    args: dict[str, str] = {}  # each argument shortened; untrusted ones marked (the audit summary)
    expires: float = 0.0  # wall-clock time after which it counts as denied
    leaves: dict[str, str] = {}  # every argument by dotted name, whole unless named in `cut`
    cut: dict[str, int] = {}  # payload leaves sent shortened, and how many chars were left out
    bulk: list[str] = []  # leaves that are payloads (data, content ...), not targets
    untrusted: list[str] = []  # leaves derived from untrusted text
    digest: str = ""  # sha256 of the exact call the approval is bound to
    kind: str = "approval"  # approval | ask | confirm (a process's question to its person, kernel/syscall/person.py)


AnyMessage = Union[Ok, Error, Event, Stats]

__all__ = ["Request", "Status", "Spawn", "Kill", "Wait", "Ps", "Logs", "Apps", "Approvals", "Approve", "Deny",
           "Answer", "Subscribe", "Halt", "Auth", "REQUESTS", "AnyRequest", "Message", "Ok", "Error", "Event", "Stats", "KernelStats",
           "AppInfo", "ApprovalInfo", "AnyMessage", "ProcInfo", "ProcRow"]
