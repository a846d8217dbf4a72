"""The event log: every syscall, LLM request and state change, to structlog and to subscribers."""
from __future__ import annotations

import collections
import itertools
import time
from typing import Any, Callable

import structlog

RING = 200  # recent events kept per process for ``logs`` and top's detail pane


class Event(dict[str, Any]):
    """An event is a flat dict: ``ts``, ``seq``, ``kind``, ``pid`` and fields."""


class EventLog:
    def __init__(self, logger: Any = None):
        self.log = logger or structlog.get_logger("llmos.kernel")
        self._seq = itertools.count(1)
        self._rings: dict[int, collections.deque[Event]] = {}
        self._subscribers: list[Callable[[Event], None]] = []
        self.recent: collections.deque[Event] = collections.deque(maxlen=2000)

    def emit(self, kind: str, pid: int = 0, **fields: Any) -> Event:
        ev = Event(ts=time.time(), seq=next(self._seq), kind=kind, pid=pid, **fields)
        self.recent.append(ev)
        if pid:
            self._rings.setdefault(pid, collections.deque(maxlen=RING)).append(ev)
        return self._send(ev)

    def note(self, kind: str, pid: int = 0, **fields: Any) -> Event:
        """For the frequent events (state changes): to subscribers only (top, traces, the API's event
        stream, the journal), not to the log file nor the recent rings, where they would cost a line
        per transition and push the syscalls out of ``logs`` and top's detail pane."""
        return self._send(Event(ts=time.time(), seq=next(self._seq), kind=kind, pid=pid, **fields), log=False)

    def _send(self, ev: Event, log: bool = True) -> Event:
        kind = ev["kind"]
        if log:
            try:
                self.log.info(kind, **{k: v for k, v in ev.items() if k not in ("kind", "ts")})
            except Exception:  # a broken log sink must not take the kernel down
                pass
        for fn in list(self._subscribers):
            try:
                fn(ev)
            except Exception:
                self._subscribers.remove(fn)
        return ev

    def for_pid(self, pid: int) -> list[Event]:
        return list(self._rings.get(pid, ()))

    def forget(self, pid: int) -> None:
        self._rings.pop(pid, None)

    def subscribe(self, fn: Callable[[Event], None]) -> Callable[[], None]:
        self._subscribers.append(fn)

        def unsubscribe() -> None:
            if fn in self._subscribers:
                self._subscribers.remove(fn)
        return unsubscribe
