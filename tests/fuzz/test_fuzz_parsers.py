"""Property tests for everything that reads outside input: the syscall decoder, rules files, path
confinement, app manifests, kernel API framing and the journal.  Bad input gets a typed error."""
from __future__ import annotations

import json
import os

import anyio
import msgspec
from hypothesis import given
from hypothesis import strategies as st

from apps.manifest import ManifestError, parse_manifest
from drivers.errors import DriverError
from drivers.files import Workspace
from kernel.reliability.journal import Record, frame, parse
from kernel.rules import RulesError, parse_rules
from kernel.syscall.dispatch import validate
from syscalls.errors import InvalidArgument
from syscalls.table import TABLE
from syscalls.transport import MAX_FRAME, read_frame

from .conftest import FUZZ

json_scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=6)
FIELDS = sorted({f for e in TABLE.values() for f in e.request.__struct_fields__} | {"call", "x"})


@st.composite
def syscall_objects(draw):
    obj = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=5))
    if draw(st.booleans()):
        obj["call"] = draw(st.sampled_from(sorted(TABLE)))
    return obj


@FUZZ
@given(st.one_of(st.binary(max_size=300), syscall_objects().map(lambda o: json.dumps(o).encode())))
def test_property_syscall_decoder_gives_a_request_or_invalid(data):
    try:
        req = validate(data)
    except InvalidArgument as exc:
        assert exc.code == "invalid" and "Traceback" not in exc.message
        return
    assert type(req).__struct_config__.tag in TABLE
    assert validate(msgspec.json.encode(req)) == req  # what decodes, re-encodes to the same request


RULE_KEYS = ["id", "effect", "match", "reason", "args", "app", "when", "rate", "budget", "untrusted"]


def _toml(rules: list[dict]) -> str:
    out = []
    for r in rules:
        out.append("[[rule]]")
        for k, v in r.items():
            out.append(f"{k} = {json.dumps(v)}")
    return "\n".join(out)


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(RULE_KEYS), st.text(max_size=20) | st.lists(st.text(max_size=10),
       max_size=3) | st.integers(), max_size=5), max_size=4), st.text(max_size=120))
def test_property_rules_files_compile_or_raise_rules_error(rules, junk):
    for text in (_toml(rules), junk, _toml(rules) + "\n" + junk):
        try:
            parsed = parse_rules(text, source="fuzz.toml")
        except RulesError as exc:
            assert str(exc)
            continue
        assert all(r.effect in ("allow", "deny", "ask") for r in parsed.rules)


SEGMENTS = st.sampled_from(["..", ".", "a", "b", "link", "out", "~", "", "\x00", "/", "a/..", "..%2f", "é"])


@FUZZ
@given(st.lists(SEGMENTS, max_size=6), st.booleans())
def test_property_paths_never_leave_the_workspace(tmp_path_factory, segs, absolute):
    base = tmp_path_factory.mktemp("ws")
    ws = Workspace(base / "root").create()
    (base / "outside").mkdir(exist_ok=True)
    if not (ws.root / "link").exists():
        os.symlink(base / "outside", ws.root / "link")
    path = ("/" if absolute else "") + "/".join(segs)
    try:
        real = ws.resolve(path)
    except DriverError as exc:
        assert exc.code in ("denied", "invalid")
        return
    assert real == ws.root or ws.root in real.parents


MANIFEST_KEYS = ["name", "version", "entry", "isolation", "priority", "restart", "description", "bogus"]


@FUZZ
@given(st.dictionaries(st.sampled_from(MANIFEST_KEYS), st.text(max_size=30) | st.integers(-5, 50)
                       | st.booleans(), max_size=6),
       st.dictionaries(st.sampled_from(["tokens", "steps", "wall_seconds", "nope"]), st.integers(-3, 10**6)
                       | st.text(max_size=5), max_size=3),
       st.text(max_size=100))
def test_property_manifests_parse_or_raise_manifest_error(top, budgets, junk):
    lines = [f"{k} = {json.dumps(v)}" for k, v in top.items()]
    lines += ["[budgets]"] + [f"{k} = {json.dumps(v)}" for k, v in budgets.items()]
    for text in ("\n".join(lines), junk):
        try:
            m = parse_manifest(text, "fuzz/app.toml")
        except ManifestError as exc:
            assert str(exc).startswith("fuzz/app.toml")
            continue
        assert m.restart in ("never", "resume") and 0 <= m.priority <= 39


class _Chunks(anyio.abc.ByteReceiveStream):
    def __init__(self, chunks):
        self.chunks = list(chunks)

    async def receive(self, max_bytes=65536):
        if not self.chunks:
            raise anyio.EndOfStream
        return self.chunks.pop(0)

    async def aclose(self):
        pass


def _read_all(chunks):
    async def go():
        stream, buf, out = _Chunks(chunks), bytearray(), []
        while True:
            try:
                payload = await read_frame(stream, buf)
            except ValueError as exc:
                return out, str(exc)
            if payload is None:
                return out, None
            out.append(payload)
    return anyio.run(go)


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=6), st.data())
def test_property_api_framing_reassembles_any_split(payloads, data):
    wire = b"".join(len(p).to_bytes(4, "big") + p for p in payloads)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=8)))
    chunks = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)]) if b > a]
    assert _read_all(chunks) == (payloads, None)


@FUZZ
@given(st.binary(max_size=400))
def test_property_api_framing_rejects_garbage_cleanly(garbage):
    frames, err = _read_all([garbage])
    assert err is None or "frame" in err or f"{MAX_FRAME}" in err
    assert all(isinstance(f, bytes) for f in frames)


records = st.builds(Record, kind=st.sampled_from(["boot", "spawn", "exit", "ctx", "sandbox"]),
                    pid=st.integers(0, 10**6), task=st.text(max_size=50), result=st.none() | st.text(max_size=50),
                    status=st.none() | st.integers(-1, 255), data=st.binary(max_size=40))


@FUZZ
@given(st.binary(max_size=600))
def test_property_journal_reader_never_raises_on_garbage(blob):
    _recs, damage = parse(blob)
    assert sum(d.length for d in damage) <= len(blob)


@FUZZ
@given(st.lists(records, min_size=1, max_size=8), st.data())
def test_property_journal_keeps_every_intact_record(recs, data):
    frames = [frame(r) for r in recs]
    hurt = data.draw(st.sets(st.integers(0, len(frames) - 1)))
    blob = b""
    for i, f in enumerate(frames):
        if i in hurt:
            pos = data.draw(st.integers(0, len(f) - 1))
            f = f[:pos] + bytes([f[pos] ^ 0xFF]) + f[pos + 1:]
        blob += f
    got, damage = parse(blob)
    # every untouched record is read, in order, and nothing else: a damaged one is skipped (MAGIC
    # never occurs inside a JSON payload, so the reader always finds the next record's start)
    assert got == [r for i, r in enumerate(recs) if i not in hurt]
    assert len(damage) == len(hurt) or (hurt and damage)
