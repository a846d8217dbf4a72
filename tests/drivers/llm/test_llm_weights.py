"""Weight formats: the embedded model converted once to Q8_0, cached, and served; bad specs named."""
from __future__ import annotations

import os
import threading

import pytest

from drivers.llm import EngineError, GenRequest, LlamaEngine, Message
from drivers.llm.factory import open_engine, split_spec
from drivers.llm.weights import converted_path, requantized

pytestmark = [pytest.mark.real_model, pytest.mark.anyio]


@pytest.fixture(scope="module")
def q8(model_path, tmp_path_factory):
    cache = tmp_path_factory.mktemp("models")
    return cache, requantized(model_path, "q8_0", cache=cache)


def test_the_conversion_is_made_once_and_kept(model_path, q8):
    cache, path = q8
    assert path == str(converted_path(model_path, "q8_0", cache)) and os.path.getsize(path) > 0
    assert os.path.getsize(path) > os.path.getsize(model_path)  # 8.5 bits a weight against 5
    made = os.stat(path).st_mtime_ns
    assert requantized(model_path, "q8_0", cache=cache) == path
    assert os.stat(path).st_mtime_ns == made  # found, not converted again
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []  # no half-written copy


def test_concurrent_first_uses_convert_once(model_path, tmp_path):
    paths: list[str] = []
    threads = [threading.Thread(target=lambda: paths.append(requantized(model_path, "q8_0", cache=tmp_path)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(paths)) == 1 and len(paths) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", os.path.basename(paths[0])]


async def test_the_converted_model_answers_a_chat(model_path, q8, monkeypatch):
    cache, path = q8
    monkeypatch.setenv("LLMOS_MODEL_CACHE", str(cache))
    engine = open_engine(f"{model_path}:q8_0", n_slots=2, n_ctx=1024)
    assert isinstance(engine, LlamaEngine) and engine.weights == "q8_0"
    await engine.start()
    try:
        assert engine.model_path == path  # the cached copy, not a fresh conversion
        r = await engine.generate(GenRequest(messages=[Message("user", "What is the boiling point of water?")],
                                             max_tokens=24))  # greedy
        assert "100" in r.text, r.text
    finally:
        await engine.close()


@pytest.mark.parametrize("spec,expected", [
    ("embedded:q8_0", ("embedded", "q8_0")), (":Q8_0", ("", "q8_0")), ("/m/a.gguf:f16", ("/m/a.gguf", "f16")),
    ("/m/a.gguf", ("/m/a.gguf", None)), ("http://127.0.0.1:8080", ("http://127.0.0.1:8080", None)),
    ("/m/odd:name.gguf", ("/m/odd:name.gguf", None)), ("scripted", ("scripted", None)),
])
def test_specs_split_into_model_and_format(spec, expected):
    assert split_spec(spec) == expected


@pytest.mark.parametrize("spec,fragment", [
    ("embedded:q9", "unknown weight format 'q9'"), ("/m/a.gguf:int3", "unknown weight format 'int3'"),
    ("scripted:q8_0", "applies to the embedded model or a .gguf file"),
])
def test_bad_formats_are_named(spec, fragment):
    with pytest.raises(EngineError, match=fragment) as err:
        open_engine(spec)
    assert err.value.code == "invalid"


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(EngineError, match="model file not found"):
        requantized(str(tmp_path / "none.gguf"), "q8_0", cache=tmp_path)
    with pytest.raises(EngineError, match="unknown weight format"):
        LlamaEngine(None, weights="q2")
