"""Bearer keys for the OpenAI API: each names one live process; a process's keys die with it.

Only a hash of each key is kept: once handed out, a key is nowhere in the kernel to leak into a log,
a trace, ``ps`` or a core dump."""
from __future__ import annotations

import hashlib
import secrets

PREFIX = "llmos-"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class KeyTable:
    """``issue(pid)`` a fresh key, ``pid_of(key)`` to authenticate, ``revoke(pid)`` when it ends."""

    def __init__(self) -> None:
        self._pids: dict[bytes, int] = {}  # sha256(key) -> pid

    def issue(self, pid: int) -> str:
        key = PREFIX + secrets.token_urlsafe(32)
        self._pids[_digest(key)] = pid
        return key

    def pid_of(self, key: str) -> int | None:
        """The pid ``key`` names, or None for an unknown or revoked key."""
        if not key.startswith(PREFIX) or len(key) > 128:
            return None
        return self._pids.get(_digest(key))

    def revoke(self, pid: int) -> int:
        """Drop every key of ``pid``; how many there were."""
        gone = [d for d, p in self._pids.items() if p == pid]
        for d in gone:
            del self._pids[d]
        return len(gone)

    def __len__(self) -> int:
        return len(self._pids)
