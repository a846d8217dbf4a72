"""The static syscall table: every call's name, request type, reply type and family."""
from __future__ import annotations

from typing import Any, NamedTuple, Union, cast

import msgspec

from . import browser, fs, llm, mem, proc, tool, user
from .base import Empty, Reply, Request


class Entry(NamedTuple):
    name: str
    family: str
    request: type[Request]
    reply: type[Reply]


def tag_of(req: type[Request]) -> str:
    """A request type's syscall name: its msgspec tag, which every request type sets as a string."""
    tag = req.__struct_config__.tag
    if not isinstance(tag, str):
        raise TypeError(f"{req.__name__} has no syscall name (class {req.__name__}(Request, tag=\"family.call\"))")
    return tag


def _e(req: type[Request], reply: type[Reply]) -> Entry:
    name = tag_of(req)
    return Entry(name, name.split(".", 1)[0], req, reply)


# Grants that name no syscall but widen one, each matched only when an app's manifest writes it
# out whole: a glob such as "proc.*" grants the syscall, never the privilege.
GRANTS: dict[str, str] = {
    proc.PS_ALL: "proc.ps(all=True): list every process of the kernel (pid, app, task, result), not just its own tree",
}

TABLE: dict[str, Entry] = {e.name: e for e in (
    _e(llm.Chat, llm.Completion),
    _e(llm.Complete, llm.Completion),
    _e(llm.Json, llm.JsonReply),
    _e(llm.Score, llm.ScoreReply),
    _e(llm.Embed, llm.Embeddings),
    _e(fs.Read, fs.FileData),
    _e(fs.Write, fs.FileInfo),
    _e(fs.List, fs.Listing),
    _e(fs.Stat, fs.FileInfo),
    _e(fs.Delete, Empty),
    _e(proc.Spawn, proc.Spawned),
    _e(proc.Wait, proc.Waited),
    _e(proc.Kill, Empty),
    _e(proc.Ps, proc.PsReply),
    _e(proc.Exit, Empty),
    _e(proc.Send, Empty),
    _e(proc.Recv, proc.Message),
    _e(tool.ListTools, tool.Tools),
    _e(tool.Call, tool.ToolResult),
    _e(mem.Store, mem.Stored),
    _e(mem.Recall, mem.Recalled),
    _e(mem.Forget, Empty),
    _e(mem.Pin, Empty),
    _e(mem.Add, mem.Added),
    _e(mem.Learn, mem.Stored),
    _e(browser.Open, browser.Page),
    _e(browser.Snapshot, browser.Page),
    _e(browser.Click, browser.Page),
    _e(browser.Type, browser.Page),
    _e(browser.Select, browser.Page),
    _e(browser.Scroll, browser.Page),
    _e(browser.Back, browser.Page),
    _e(browser.Extract, browser.Extracted),
    _e(browser.Screenshot, tool.ToolResult),
    _e(user.Ask, user.Answer),
    _e(user.Confirm, user.Confirmed),
    _e(user.Notify, Empty),
)}

FAMILIES = sorted({e.family for e in TABLE.values()})
AnyRequest = Union[tuple(e.request for e in TABLE.values())]  # type: ignore[valid-type]  # built from TABLE at run time
_request_decoder = msgspec.json.Decoder(AnyRequest)
_encoder = msgspec.json.Encoder()


def name_of(req: Request) -> str:
    return tag_of(type(req))


def decode_request(data: bytes | str) -> Request:
    """Decode a request from JSON; raises ``msgspec.ValidationError``/``DecodeError`` on bad input."""
    return cast(Request, _request_decoder.decode(data))  # AnyRequest: the union of every request type


def request_from_dict(name: str, args: dict[str, Any]) -> Request:
    """Build a request of syscall ``name`` from plain arguments (validated)."""
    entry = TABLE.get(name)
    if entry is None:
        raise KeyError(name)
    return msgspec.convert(args, entry.request)


def encode(obj: Any) -> bytes:
    return _encoder.encode(obj)
