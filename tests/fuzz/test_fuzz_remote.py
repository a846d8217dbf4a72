"""Fuzzing the kernel API's TCP listener (kernel/api/remote.py): before the token, whatever a stranger sends
is answered at most with one ``unauthorized`` error and a hang-up, never served; after it, the same
sessions that fuzz the Unix socket (test_fuzz_api.py) end nothing.  After each session the kernel
still serves, and every connection has let go of its seat and its buffered bytes."""
from __future__ import annotations

import json
import socket
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kernel.api import messages as m

from .api_live import TOKEN, LiveApi
from .conftest import FUZZ
from .test_fuzz_api import PAYLOADS, STEPS, _session


@pytest.fixture(scope="module")
def api():
    with LiveApi(tcp=True, frame_seconds=2.0, auth_seconds=1.0) as live:
        yield live


def _auth(token: object) -> bytes:
    return json.dumps({"op": "auth", "token": token}).encode()


FIRST = st.one_of(
    st.tuples(st.just("frame"), PAYLOADS),  # any request, garbage, deep nesting, bad UTF-8: no token
    st.tuples(st.just("frame"), st.builds(_auth, st.one_of(st.text(max_size=64), st.integers(), st.none(),
                                                           st.just(TOKEN[:-1]), st.just(TOKEN + "x"), st.just("")))),
    st.tuples(st.just("frame"), st.sampled_from([_auth(TOKEN)[:-1], b'{"op":"auth","token":"%s","x":1}' % TOKEN.encode(),
                                                 b'{"op":"halt"}', b'{"op":"exec","argv":["true"]}'])),
    st.tuples(st.just("raw"), st.binary(min_size=1, max_size=64)),  # a TLS hello, an HTTP request, noise
    st.tuples(st.just("raw"), st.sampled_from([b"\x16\x03\x01\x02\x00\x01", b"GET / HTTP/1.1\r\n\r\n",
                                               b"\xff\xff\xff\xff", b"\x00\x00\x10\x00" + b"a" * 100])),
    st.tuples(st.just("silent"), st.none()),  # says nothing: hung up on after auth_seconds
)


def _frame(payload: bytes) -> bytes:
    return LiveApi.frame(payload)


def _stranger(api: LiveApi, kind: str, value: object) -> list[object]:
    """What the server sent a connection that began with ``value`` instead of its token, until it hung up."""
    s = api.connect_tcp(timeout=5)
    try:
        if kind == "frame":
            s.sendall(_frame(value))  # type: ignore[arg-type]
        elif kind == "raw":
            s.sendall(value)  # type: ignore[arg-type]
        got = []
        while True:
            msg = api.reply(s)
            if msg is None:
                return got
            got.append(msg)
    except (BrokenPipeError, ConnectionResetError):
        return []  # hung up on mid-send
    except socket.timeout:
        return ["no hang-up within 5 s"]
    finally:
        s.close()


@FUZZ
@given(FIRST)
@example(("frame", _auth("wrong-token-wrong-token")))
@example(("frame", b'{"op":"ps","id":1}'))
@example(("silent", None))
def test_property_nothing_is_served_before_the_token(api, first):
    t0 = time.monotonic()
    got = _stranger(api, *first)
    assert time.monotonic() - t0 < 4  # refused in bounded time, silence included (auth_seconds 1)
    assert all(isinstance(msg, m.Error) and msg.code == "unauthorized" for msg in got), got
    assert len(got) <= 1
    assert api.crashed() is None, api.crashed()
    assert api.status_ok()
    assert api.settled()


@FUZZ
@given(st.lists(STEPS, min_size=1, max_size=6))
@example([("subscribe-and-vanish", 0.001)] * 3)
def test_property_no_session_after_the_token_ends_the_kernel_api(api, steps):
    _session(api, steps)  # LiveApi.connect shows the token over TCP
    assert api.crashed() is None, api.crashed()
    assert api.status_ok()
    assert api.settled()


def test_requests_about_the_kernels_machine_are_refused_over_tcp_only(api):
    for body in (b'{"op":"exec","id":3,"argv":["true"]}', b'{"op":"api.key","id":3,"pid":1}'):
        with api.connect() as s:
            s.sendall(_frame(body))
            reply = api.reply(s)
            assert isinstance(reply, m.Error) and reply.code == "local_only" and reply.id == 3, reply
            s.sendall(_frame(b'{"op":"status","id":4}'))  # the connection goes on
            assert isinstance(api.reply(s), m.Ok)
    api.tcp = False  # the same request on the Unix socket is not refused for being remote
    try:
        with api.connect() as s:
            s.sendall(_frame(b'{"op":"api.key","id":5,"pid":1}'))
            reply = api.reply(s)
            assert not (isinstance(reply, m.Error) and reply.code == "local_only"), reply
    finally:
        api.tcp = True


def test_a_handshake_that_breaks_unexpectedly_ends_that_connection_only(api):
    async def broken(raw):
        raise RuntimeError("a bug in the handshake")
    api.remote._admit = broken  # the instance's, for this test
    try:
        s = api.connect_tcp(timeout=5)
        assert api.reply(s) is None  # closed at once, nothing served
        s.close()
    finally:
        del api.remote._admit
    assert api.crashed() is None, api.crashed()
    assert api.status_ok() and api.settled()
