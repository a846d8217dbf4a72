"""Fuzzing the live kernel API (kernel.sock): whatever a client sends, the kernel keeps serving.

Hypothesis builds sessions of frames from the classes that once ended the daemon or could: random
bytes, JSON requests with wrong and odd values, deep nesting, invalid UTF-8 inside strings, lengths
past the bound, frames cut short, subscribers that hang up at once.  After every session the server
still runs, a fresh client gets its status, and every connection has let go of its buffered bytes."""
from __future__ import annotations

import json
import socket

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kernel.api.server import MAX_REQUEST

from .api_live import LiveApi
from .conftest import FUZZ

OPS = ["status", "spawn", "kill", "wait", "ps", "logs", "apps", "approvals", "approve", "deny", "subscribe",
       "mem.list", "nope", ""]
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=20)


def _request(op: str, fields: dict) -> bytes:
    body = {"op": op, "id": 1, **fields}
    if op == "wait":
        body["timeout"] = 0.01  # a wait on a real pid must not hold the session
    return json.dumps(body).encode()


def _nested(depth: int, opener: bytes, closer: bytes, balanced: bool) -> bytes:
    inner = opener * depth + (closer * depth if balanced else b"")
    return b'{"op": "status", "id": 2, "x": ' + inner + b"}"


def _bad_utf8(op: str, junk: bytes) -> bytes:
    return b'{"op": "' + op.encode() + b'", "id": 4, "app": "' + junk + b'", "approval": "' + junk + b'"}'


PAYLOADS = st.one_of(
    st.binary(max_size=200),
    st.builds(_request, st.sampled_from(OPS), st.dictionaries(
        st.sampled_from(["pid", "app", "task", "signal", "approval", "reason", "timeout", "all", "budgets",
                         "priority", "events", "stats_every", "limit", "id", "junk"]), JSON, max_size=4)),
    st.builds(_nested, st.integers(1, 5000), st.sampled_from([b"[", b'{"a":[', b"[{\"k\":"]),
              st.sampled_from([b"]", b"]}", b"}]"]), st.booleans()),
    st.builds(_bad_utf8, st.sampled_from(["spawn", "approve", "deny", "status"]),
              st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"a\x80b"])),
)
# one step of a session: (kind, payload)
STEPS = st.one_of(
    st.tuples(st.just("frame"), PAYLOADS),
    st.tuples(st.just("length"), st.integers(MAX_REQUEST + 1, 2**32 - 1).map(lambda n: n.to_bytes(4, "big"))),
    st.tuples(st.just("cut"), PAYLOADS),
    st.tuples(st.just("subscribe-and-vanish"), st.sampled_from([0.0, 0.001, 0.01])),
)


@pytest.fixture(scope="module")
def api():
    with LiveApi(frame_seconds=2.0) as live:
        yield live


def _session(api: LiveApi, steps: list[tuple[str, object]]) -> None:
    s = api.connect(timeout=5)
    try:
        for kind, value in steps:
            if kind == "frame":
                s.sendall(api.frame(value))
                if api.reply(s) is None:  # told why and hung up: a new connection goes on
                    s.close()
                    s = api.connect(timeout=5)
            elif kind == "length":
                s.sendall(value)
                api.reply(s)
                s.close()
                s = api.connect(timeout=5)
            elif kind == "cut":  # half a frame, then gone
                whole = api.frame(value)
                s.sendall(whole[: max(1, len(whole) // 2)])
                s.close()
                s = api.connect(timeout=5)
            else:
                sub = api.connect(timeout=5)
                sub.sendall(api.frame(json.dumps({"op": "subscribe", "id": 1, "stats_every": value}).encode()))
                sub.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sub.close()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may hang up on a client mid-send; the checks below are what matter
    finally:
        s.close()


@FUZZ
@given(st.lists(STEPS, min_size=1, max_size=6))
@example([("frame", _nested(2000, b"[", b"]", True))])
@example([("frame", _bad_utf8("spawn", b"\xff"))])
@example([("subscribe-and-vanish", 0.001)] * 3)
def test_property_no_session_ends_the_kernel_api(api, steps):
    _session(api, steps)
    assert api.crashed() is None, api.crashed()
    assert api.status_ok()
    assert api.settled()
