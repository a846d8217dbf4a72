"""OpenAIEngine against a real ``llama_cpp.server`` on loopback, plus failing servers for error mapping."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import pytest

from drivers.llm import EngineError, GenRequest, Message, OpenAIEngine, open_engine

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def remote(llama_server):
    eng = OpenAIEngine(llama_server, n_slots=2, timeout=120)
    anyio.run(eng.start)
    yield eng
    anyio.run(eng.close)


@pytest.mark.real_model
async def test_streamed_chat(remote):
    gen = remote.submit(GenRequest(messages=[Message("user", "What is the capital of France?")], max_tokens=32))
    pieces = [tok.text async for tok in gen]
    r = gen.result
    assert len(pieces) >= 2 and "".join(pieces) == r.text and r.text.strip()
    assert r.finish_reason in ("stop", "length")
    assert remote.detokenize(r.tokens) == r.text
    assert r.prompt_tokens > 0 and r.ttft_s > 0
    assert remote.stats().tokens_generated >= len(pieces)


@pytest.mark.real_model
async def test_templated_prompt_is_sent_as_chat(remote):
    """The kernel templates messages itself and submits the ids: they must still go out as a chat."""
    msgs = [Message("system", "Answer with one word."), Message("user", "What color is the sky?")]
    prompt = remote.apply_template(msgs)
    assert remote.count_tokens("What color is the sky?") > 0 and len(prompt) > 5
    r = await remote.generate(GenRequest(prompt=prompt, max_tokens=8))
    assert r.text.strip() and "assistant:" not in r.text and "user:" not in r.text


@pytest.mark.real_model
async def test_json_schema_reply(remote):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"]}
    r = await remote.generate(GenRequest(messages=[Message("user", "Give a person as JSON with name and age.")],
                                         json_schema=schema, max_tokens=80))
    data = json.loads(r.text)
    assert isinstance(data["name"], str) and len(data["name"]) <= 20
    assert isinstance(data["age"], int)


@pytest.mark.real_model
async def test_cancel_closes_the_stream(remote):
    gen = remote.submit(GenRequest(messages=[Message("user", "Write a very long story about a ship.")],
                                   max_tokens=400))
    n = 0
    with anyio.fail_after(120):
        async for _ in gen:
            n += 1
            if n == 3:
                gen.cancel()
    assert gen.result.finish_reason == "cancelled" and n == 3
    assert remote.stats().busy_slots == 0
    r = await remote.generate(GenRequest(messages=[Message("user", "Say hi.")], max_tokens=4))
    assert r.finish_reason in ("stop", "length") and r.text


@pytest.mark.real_model
async def test_server_tokenizer_count(remote):
    n = await remote.count_tokens_exact("hello world, how are you?")
    assert 4 <= n <= 12
    assert remote.count_tokens("hello world, how are you?") > 0


async def test_connection_refused_is_retryable():
    eng = OpenAIEngine(f"http://127.0.0.1:{free_port()}", connect_timeout=5)
    with pytest.raises(EngineError) as info:
        await eng.start()
    assert info.value.retryable and info.value.code == "unavailable"
    with pytest.raises(EngineError) as info:
        await eng.generate(GenRequest(messages=[Message("user", "hi")]))
    assert info.value.retryable
    await eng.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Failing(BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer()

    def _answer(self):
        status = 401 if "denied" in self.path else 503
        body = json.dumps({"error": {"message": "overloaded" if status == 503 else "bad key"}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def failing_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


async def test_5xx_is_retryable_and_4xx_is_not(failing_server):
    eng = open_engine(failing_server)
    assert isinstance(eng, OpenAIEngine) and eng.base_url.endswith("/v1")
    with pytest.raises(EngineError) as info:
        await eng.generate(GenRequest(messages=[Message("user", "hi")]))
    assert info.value.retryable and "overloaded" in str(info.value)
    assert eng.stats().errors == 1 and eng.stats().busy_slots == 0
    denied = OpenAIEngine(failing_server + "/denied/v1")
    with pytest.raises(EngineError) as info:
        await denied.generate(GenRequest(messages=[Message("user", "hi")]))
    assert not info.value.retryable and info.value.code == "denied"
    await eng.close()
    await denied.close()


def test_api_key_from_env(monkeypatch):
    monkeypatch.setenv("LLMOS_LLM_API_KEY", "sk-test")
    assert OpenAIEngine("https://api.example.com/v1").api_key == "sk-test"
    assert OpenAIEngine("https://api.example.com/v1", api_key="k2").api_key == "k2"
    with pytest.raises(EngineError):
        OpenAIEngine("ftp://example.com")
