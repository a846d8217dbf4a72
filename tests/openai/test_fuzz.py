"""Property-based fuzz of the OpenAI API over real sockets: bodies, headers, lengths and encodings.
Whatever arrives, the answer is never a 500 or a traceback, and the kernel keeps serving."""
from __future__ import annotations

import json
import socket
import sys
from urllib.parse import urlsplit

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.llm import ScriptedEngine
from kernel import Kernel, KernelConfig
from kernel.proc.execprog import Program, spawn

OK = {200, 400, 401, 404, 405, 413}
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    home = tmp_path_factory.mktemp("fuzz-home")
    config = KernelConfig(home=str(home), subsystems=["openai_api"], api_port=0, api_max_body=64 * 1024)
    with start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(Kernel(config, engine=ScriptedEngine(default="ok"))) as k:
            pid = portal.call(lambda: spawn(k, Program(argv=[sys.executable, "-c", "import time; time.sleep(600)"])))
            key = k.api_calls.issue(pid)
            with httpx.Client(base_url=k.api_url, headers={"authorization": f"Bearer {key}"}, timeout=30) as c:
                yield k, c, key
            portal.call(k.halt)


def still_serving(c: httpx.Client) -> None:
    r = c.post("/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200, r.text


def check(r: httpx.Response) -> None:
    assert r.status_code in OK, (r.status_code, r.text[:300])
    assert "Traceback" not in r.text
    if r.status_code != 200:
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


HEADER_VALUE = st.from_regex(r"\A[!-~]([ -~]{0,60}[!-~])?\Z")  # what a client can send at all
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                          max_leaves=12)
message = st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "assistant", "tool", "developer", "x"]) | json_value},
                                optional={"content": json_value | st.text(max_size=50),
                                          "tool_calls": json_value, "name": json_value})
chat_body = st.fixed_dictionaries({"messages": st.lists(message, max_size=3) | json_value},
                                  optional={k: json_value for k in (
                                      "max_tokens", "temperature", "top_p", "seed", "stop", "n", "stream", "tools",
                                      "tool_choice", "response_format", "stream_options", "max_completion_tokens")})


@FUZZ
@given(path=st.sampled_from(["/chat/completions", "/completions", "/embeddings", "/models", "/nope"]),
       body=chat_body | json_value)
def test_json_bodies(live, path, body):
    _, c, _ = live
    check(c.post(path, content=json.dumps(body)))


@FUZZ
@given(raw=st.binary(max_size=300), ctype=st.sampled_from(["application/json", "text/plain", "application/json; charset=utf-16",
                                                           "", "multipart/form-data"]))
def test_raw_bytes_and_content_types(live, raw, ctype):
    _, c, _ = live
    check(c.post("/chat/completions", content=raw, headers={"content-type": ctype}))


@FUZZ
@given(text=st.text(max_size=40), encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1"]))
def test_encodings(live, text, encoding):
    _, c, _ = live
    body = json.dumps({"messages": [{"role": "user", "content": text}], "max_tokens": 4}, ensure_ascii=False)
    check(c.post("/chat/completions", content=body.encode(encoding, "replace")))


@FUZZ
@given(auth=HEADER_VALUE | st.builds("Bearer {}".format, HEADER_VALUE) | st.builds("Bearer llmos-{}".format, HEADER_VALUE),
       extra=st.dictionaries(st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z"), HEADER_VALUE, max_size=5))
def test_headers(live, auth, extra):
    k, c, key = live
    extra.pop("content-length", None)
    extra.pop("transfer-encoding", None)
    r = c.post("/chat/completions", json={"messages": [{"role": "user", "content": "x"}]},
               headers={**{n: v for n, v in extra.items() if n.lower() not in ("content-length", "transfer-encoding", "host")},
                        "authorization": auth})
    check(r)
    assert r.status_code in (401, 200)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(declared=st.integers(min_value=0, max_value=10**9) | st.just(-1), sent=st.binary(max_size=200),
       chunked=st.booleans())
def test_lengths_on_a_raw_socket(live, declared, sent, chunked):
    k, c, key = live
    url = urlsplit(k.api_url)
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {declared}\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=5) as s:
        s.sendall(head.encode() + b"\r\n" + sent)
        s.shutdown(socket.SHUT_WR)
        got = b""
        try:
            while chunk := s.recv(65536):
                got += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    if got:
        status = int(got.split(b" ", 2)[1])
        assert status < 500, got[:200]
        assert b"Traceback" not in got


def test_it_still_serves_after_the_fuzz(live):
    still_serving(live[1])
    assert not [e for e in live[0].events.recent if e["kind"] == "api.crash"]
