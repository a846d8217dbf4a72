"""The app SDK: ``sys.llm``, ``sys.fs``, ``sys.proc``, ``sys.tool``, ``sys.mem``, ``sys.browser``, ``sys.user``."""
from __future__ import annotations

from typing import Any, TypeVar, cast

from . import browser, fs, llm, mem, proc, tool, user
from .base import Empty, Reply, Request
from .transport import Transport

R = TypeVar("R", bound=Reply)


Messages = list[dict[str, Any]] | list[llm.ChatMessage] | str  # a plain string is one user message


def _msgs(messages: Messages) -> list[llm.ChatMessage]:
    if isinstance(messages, str):
        return [llm.ChatMessage(role="user", content=messages)]
    return [m if isinstance(m, llm.ChatMessage) else llm.ChatMessage(**m) for m in messages]


class _Family:
    def __init__(self, transport: Transport):
        self._t = transport

    async def _call(self, req: Request, answer: type[R]) -> R:
        """``answer`` is the reply type syscalls/table.py pairs with ``req``, the one the kernel sends back."""
        return cast(R, await self._t.call(req))


class Llm(_Family):
    async def chat(self, messages: Messages, *, max_tokens: int = 256, temperature: float = 0.0,
                   stop: list[str] | None = None, context: bool = False, seed: int = 0) -> llm.Completion:
        return await self._call(llm.Chat(messages=_msgs(messages), max_tokens=max_tokens,
                                         temperature=temperature, stop=stop or [], context=context, seed=seed), llm.Completion)

    async def complete(self, prompt: str, *, max_tokens: int = 256, temperature: float = 0.0,
                       stop: list[str] | None = None, seed: int = 0) -> llm.Completion:
        return await self._call(llm.Complete(prompt=prompt, max_tokens=max_tokens, temperature=temperature,
                                             stop=stop or [], seed=seed), llm.Completion)

    async def json(self, messages: Messages, schema: dict[str, Any], *, max_tokens: int = 256,
                   temperature: float = 0.0, context: bool = False, seed: int = 0) -> llm.JsonReply:
        return await self._call(llm.Json(messages=_msgs(messages), schema=schema, max_tokens=max_tokens,
                                         temperature=temperature, context=context, seed=seed), llm.JsonReply)

    async def score(self, messages: Messages, candidates: list[str]) -> llm.ScoreReply:
        """Log-likelihoods of ``candidates`` as the reply to ``messages`` (one batched pass)."""
        return await self._call(llm.Score(messages=_msgs(messages), candidates=list(candidates)), llm.ScoreReply)


class Fs(_Family):
    async def read(self, path: str) -> str:
        return (await self._call(fs.Read(path=path), fs.FileData)).data

    async def write(self, path: str, data: str, *, append: bool = False) -> fs.FileInfo:
        return await self._call(fs.Write(path=path, data=data, append=append), fs.FileInfo)

    async def list(self, path: str = ".") -> list[fs.FileInfo]:
        return (await self._call(fs.List(path=path), fs.Listing)).entries

    async def stat(self, path: str) -> fs.FileInfo:
        return await self._call(fs.Stat(path=path), fs.FileInfo)

    async def delete(self, path: str) -> None:
        await self._call(fs.Delete(path=path), Empty)


class Proc(_Family):
    async def spawn(self, app: str, task: str = "", *, priority: int | None = None,
                    budgets: dict[str, float] | None = None, permissions: list[str] | None = None) -> int:
        return (await self._call(proc.Spawn(app=app, task=task, priority=priority, budgets=budgets or {},
                                            permissions=permissions), proc.Spawned)).pid

    async def wait(self, pid: int | None = None, timeout: float | None = None) -> proc.Waited:
        return await self._call(proc.Wait(pid=pid, timeout=timeout), proc.Waited)

    async def kill(self, pid: int, signal: str = "TERM") -> None:
        await self._call(proc.Kill(pid=pid, signal=signal), Empty)

    async def ps(self, all: bool = False) -> list[proc.ProcInfo]:
        return (await self._call(proc.Ps(all=all), proc.PsReply)).procs

    async def exit(self, result: str = "", status: int = 0) -> None:
        await self._call(proc.Exit(result=result, status=status), Empty)

    async def send(self, pid: int, message: Any) -> None:
        await self._call(proc.Send(pid=pid, message=message), Empty)

    async def recv(self, timeout: float | None = None) -> proc.Message:
        return await self._call(proc.Recv(timeout=timeout), proc.Message)


class Tool(_Family):
    async def list(self) -> list[tool.ToolSpec]:
        return (await self._call(tool.ListTools(), tool.Tools)).tools

    async def call(self, name: str, args: dict[str, Any] | None = None, **kwargs: Any) -> tool.ToolResult:
        return await self._call(tool.Call(name=name, args={**(args or {}), **kwargs}), tool.ToolResult)


class Mem(_Family):
    async def store(self, text: str, *, kind: str = "fact", collection: str | None = None, untrusted: bool = False,
                    source: str = "") -> mem.Stored:
        return await self._call(mem.Store(text=text, kind=kind, collection=collection, untrusted=untrusted,
                                          source=source), mem.Stored)

    async def recall(self, query: str, k: int = 5, *, collection: str | None = None,
                     kinds: list[str] | None = None, min_score: float = -1.0) -> list[mem.Memory]:
        """The ``k`` memories nearest ``query``; ``kinds`` keeps only those kinds (e.g. ``["preference"]``),
        ``min_score`` drops hits less relevant than that cosine similarity."""
        return (await self._call(mem.Recall(query=query, k=k, collection=collection, kinds=list(kinds or []),
                                            min_score=min_score), mem.Recalled)).memories

    async def forget(self, id: str, *, collection: str | None = None) -> None:
        await self._call(mem.Forget(id=id, collection=collection), Empty)

    async def pin(self, text: str) -> None:
        await self._call(mem.Pin(text=text), Empty)

    async def learn(self, options: list[str], chosen: str, *, evidence: str = "",
                    collection: str | None = None) -> mem.Stored:
        return await self._call(mem.Learn(options=options, chosen=chosen, evidence=evidence, collection=collection), mem.Stored)

    async def add(self, text: str, *, kind: str = "message", role: str = "user", untrusted: bool = False,
                  source: str = "", importance: float = 0.0) -> mem.Added:
        return await self._call(mem.Add(text=text, kind=kind, role=role, untrusted=untrusted, source=source,
                                        importance=importance), mem.Added)


class Browser(_Family):
    async def open(self, url: str) -> browser.Page:
        return await self._call(browser.Open(url=url), browser.Page)

    async def snapshot(self) -> browser.Page:
        return await self._call(browser.Snapshot(), browser.Page)

    async def click(self, index: int) -> browser.Page:
        return await self._call(browser.Click(index=index), browser.Page)

    async def type(self, index: int, text: str, *, submit: bool = False) -> browser.Page:
        return await self._call(browser.Type(index=index, text=text, submit=submit), browser.Page)

    async def select(self, index: int, option: str) -> browser.Page:
        return await self._call(browser.Select(index=index, option=option), browser.Page)

    async def scroll(self, direction: str = "down") -> browser.Page:
        return await self._call(browser.Scroll(direction=direction), browser.Page)

    async def back(self) -> browser.Page:
        return await self._call(browser.Back(), browser.Page)

    async def extract(self, question: str) -> str:
        return (await self._call(browser.Extract(question=question), browser.Extracted)).answer

    async def screenshot(self, path: str = "screenshot.png") -> tool.ToolResult:
        return await self._call(browser.Screenshot(path=path), tool.ToolResult)


class User(_Family):
    async def ask(self, question: str) -> str:
        return (await self._call(user.Ask(question=question), user.Answer)).text

    async def confirm(self, question: str) -> bool:
        return (await self._call(user.Confirm(question=question), user.Confirmed)).yes

    async def notify(self, text: str) -> None:
        await self._call(user.Notify(text=text), Empty)


class Sys:
    """Everything a process can do.  ``pid`` and ``task`` describe the caller."""

    def __init__(self, transport: Transport, *, pid: int = 0, task: str = "", app: str = ""):
        self.transport, self.pid, self.task, self.app = transport, pid, task, app
        self.llm, self.fs, self.proc = Llm(transport), Fs(transport), Proc(transport)
        self.tool, self.mem, self.browser, self.user = Tool(transport), Mem(transport), Browser(transport), User(transport)

    async def call(self, req: Request) -> Reply:
        """Issue any request from the table directly."""
        return await self.transport.call(req)
