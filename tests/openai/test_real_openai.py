"""The official ``openai`` package against a live daemon on the real embedded model: chat, streaming,
structured output, embeddings, tool calls that always validate, and every error status."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jsonschema
import openai
import pytest

from tests.conftest import model_available, require

from .live import LiveDaemon
from .tools_fixture import PROMPTS, TOOLS, by_name

pytestmark = pytest.mark.real_model
RULES = '[[rule]]\neffect = "deny"\nmatch = ["llm.chat"]\napp = ["nochat"]\nreason = "nochat may not chat"\n'


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    require(model_available(), "the embedded model")
    d = LiveDaemon(rules=RULES)
    try:
        yield d
    finally:
        d.close()


def client(live, **kw) -> tuple[int, openai.OpenAI]:
    pid, key, url = live.process(**kw)
    return pid, openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=600)


def test_chat_and_streaming(live):
    pid, c = client(live)
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Say hello."}], max_tokens=12)
    assert isinstance(r.choices[0].message.content, str) and r.choices[0].message.content
    assert r.usage.completion_tokens > 0 and r.choices[0].finish_reason in ("stop", "length")
    pieces, usage = [], None
    for chunk in c.chat.completions.create(model="x", messages=[{"role": "user", "content": "Count to five."}],
                                           max_tokens=16, stream=True, stream_options={"include_usage": True}):
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        usage = chunk.usage or usage
    assert len(pieces) > 1 and usage is not None and 1 <= usage.completion_tokens <= 16
    row = live.ps()[pid]
    assert row["tokens_out"] == r.usage.completion_tokens + usage.completion_tokens and row["syscalls"] == 2
    text = c.completions.create(model="x", prompt="The capital of France is", max_tokens=5)
    assert text.choices[0].text and text.usage.completion_tokens <= 5


def test_json_schema_reply_validates(live):
    _, c = client(live)
    schema = {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                                               "population": {"type": "integer", "minimum": 0}},
              "required": ["city", "population"], "additionalProperties": False}
    for _ in range(3):
        r = c.chat.completions.create(model="x", max_tokens=60, messages=[
            {"role": "user", "content": "Give a city and its population as JSON."}],
            response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}})
        jsonschema.validate(json.loads(r.choices[0].message.content), schema)
    r = c.chat.completions.create(model="x", max_tokens=40, response_format={"type": "json_object"},
                                  messages=[{"role": "user", "content": "A JSON object about a cat."}])
    text = r.choices[0].message.content
    assert text.lstrip().startswith("{")  # an object, though any object may run past max_tokens
    if r.choices[0].finish_reason == "stop":
        assert isinstance(json.loads(text), dict)


def test_embeddings(live):
    _, c = client(live)
    r = c.embeddings.create(model="text-embedding-3-small", input=["a cat sat", "a kitten sat", "interest rates"])
    v = [d.embedding for d in r.data]
    dot = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731
    assert len(v[0]) == 384 and dot(v[0], v[1]) > dot(v[0], v[2]) and r.usage.prompt_tokens > 0


def test_tool_calls_always_parse_and_validate(live):
    """At least 50 generated calls across tool_choice auto, required and named, eight clients at once."""
    schemas = by_name()
    named = [{"type": "function", "function": {"name": n}} for n in schemas]
    choices = ["required", *named, "required", "auto", *named]  # one request in ten may answer in text
    jobs = [(PROMPTS[i % len(PROMPTS)], choices[i % len(choices)]) for i in range(60)]
    clients = [client(live)[1] for _ in range(8)]
    calls, texts, lock = [], [], threading.Lock()

    def run(i: int) -> None:
        prompt, choice = jobs[i]
        r = clients[i % 8].chat.completions.create(model="x", messages=[{"role": "user", "content": prompt}],
                                                    tools=TOOLS, tool_choice=choice, max_tokens=48, temperature=0.7,
                                                    seed=i)
        msg = r.choices[0].message
        with lock:
            if msg.tool_calls:
                assert r.choices[0].finish_reason == "tool_calls"
                calls.extend((choice, tc) for tc in msg.tool_calls)
            else:
                assert choice == "auto" or r.choices[0].finish_reason == "length", (choice, msg)
                texts.append(msg.content)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(run, range(len(jobs))))
    for choice, tc in calls:
        assert tc.function.name in schemas  # names kept exactly as sent
        if isinstance(choice, dict):
            assert tc.function.name == choice["function"]["name"]
        jsonschema.validate(json.loads(tc.function.arguments), schemas[tc.function.name] or {})
    assert len(calls) >= 50, f"{len(calls)} calls, {len(texts)} texts"


def test_error_statuses(live):
    _, c = client(live)
    msgs = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.BadRequestError):
        c.chat.completions.create(model="x", messages=msgs, temperature=5)
    with pytest.raises(openai.NotFoundError):
        c.post("/no/such/route", cast_to=object, body={})
    with pytest.raises(openai.APIStatusError) as e:
        c.chat.completions.create(model="x", messages=[{"role": "user", "content": "x" * (5 << 20)}])
    assert e.value.status_code == 413
    bad = openai.OpenAI(base_url=str(c.base_url), api_key="llmos-not-a-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="x", messages=msgs)


def test_a_denying_rule_is_403(live, tmp_path):
    (tmp_path / "app.toml").write_text('name = "nochat"\nentry = "main:run"\n[permissions]\nsyscalls = ["llm.*"]\n')
    (tmp_path / "main.py").write_text("async def run(sys, task):\n    pass\n")
    _, c = client(live, manifest=str(tmp_path / "app.toml"))
    with pytest.raises(openai.PermissionDeniedError, match="nochat may not chat"):
        c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])
    assert c.embeddings.create(model="x", input="still allowed").data  # the rule names llm.chat only


def test_budget_breach_is_429_and_ends_the_process(live):
    pid, c = client(live, budgets={"tokens": 80})
    with pytest.raises(openai.RateLimitError, match="budget"):
        c.chat.completions.create(model="x", max_tokens=200, messages=[{"role": "user", "content": "Tell a long story."}])
    time.sleep(0.5)
    assert live.ps()[pid]["exit_reason"] == "budget:tokens"
    with pytest.raises(openai.AuthenticationError):  # its key was revoked with it
        c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])


def test_kill_mid_stream_ends_within_a_second_and_frees_the_slot(live):
    pid, c = client(live)
    stream = c.chat.completions.create(model="x", max_tokens=400, stream=True,
                                       messages=[{"role": "user", "content": "Write a very long story."}])
    got, t_kill = 0, None
    with pytest.raises(openai.APIError):
        for _chunk in stream:
            got += 1
            if got == 3:
                t_kill = time.monotonic()
                live.kill(pid)
    assert time.monotonic() - t_kill < 1.0
    assert live.status()["slots_busy"] == 0  # freed before the client was told
    deadline = time.monotonic() + 10
    while live.ps()[pid]["exit_reason"] == "" and time.monotonic() < deadline:  # the program is reaped too
        time.sleep(0.1)
    assert live.ps()[pid]["exit_reason"] == "killed"


def test_a_smolagents_agent_runs_under_llmos_exec(live):
    """The kernel's records of a real framework's tool-using run: listed, tokens counted, each call a syscall."""
    import sys
    from pathlib import Path
    script = Path(__file__).with_name("agent_smol.py")
    r = live.home.llmos("exec", "--name", "smol-agent", "--budget", "tokens=20000", "--", sys.executable, str(script),
                        timeout=600)
    row = next(p for p in live.ps().values() if p["task"] == "smol-agent")
    assert row["app"] == "external" and row["exit_status"] == r.returncode, r.stderr[-2000:]
    assert row["tokens_in"] > 0 and row["tokens_out"] > 0 and row["syscalls"] >= 1
    logs = live.home.llmos("logs", str(row["pid"])).stdout
    assert logs.count("call=llm.chat") >= 1 and "proc.output" in logs
