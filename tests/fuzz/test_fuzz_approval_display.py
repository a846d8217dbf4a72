"""Fuzz of the approval display: whatever the arguments (escape sequences, bidi overrides, huge
padding, deep nesting), what a person reads has no raw control or bidi character, every target
argument is there whole, and a clipped payload always comes with the digest and the show command."""
from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from kernel.api.handlers import PREVIEW_CHARS, approval_info
from kernel.rules import ApprovalBook
from kernel.rules.model import Call
from kernel.rules.review import is_bulk, leaves
from llmos.approvals import render_approval, shown

from .conftest import FUZZ

HOSTILE = ["\x1b[2K\r", "\x1b]8;;http://x\x07", "\r", "\x08" * 20, "\u202e", "\u2066", "\u200b", "\x00",
           "\u3164", "\ufeff", "\n  path = safe.txt", "\x9b2K", "[red]x[/red]", "\U000e0041"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30),
                                  st.integers(0, 3000).map(lambda n: " " * n),
                                  st.integers(0, 400).map(lambda n: "\u2003" * n)), max_size=6).map("".join)
keys = st.one_of(st.sampled_from(["path", "url", "command", "expression", "amount", "data", "content", "name"]),
                 hostile_text.filter(bool))
values = st.recursive(st.one_of(hostile_text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
                      lambda inner: st.dictionaries(keys, inner, max_size=3) | st.lists(inner, max_size=3),
                      max_leaves=8)
arg_dicts = st.dictionaries(keys, values, min_size=1, max_size=6)
FORBIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"}


def _approval(args: dict, name: str = "fs.write", untrusted: list[str] | None = None):
    book = ApprovalBook(clock=lambda: 1000.0)
    return book.request(Call(name=name, args=args, app="app", pid=7, untrusted_args=untrusted or []), "because")


def _raw_unsafe(text: str) -> list[str]:
    return [c for c in text if c != "\n" and (unicodedata.category(c) in FORBIDDEN or c in "\u3164\u115f\u2800")]


@FUZZ
@given(arg_dicts, st.booleans(), st.sampled_from([None, 40, 100]))
def test_display_has_no_raw_controls_and_shows_every_target_whole(args, full, width):
    a = _approval(args)
    info = approval_info(a, full=full)
    text = render_approval(info, full=full, now=1000.0, width=width)
    assert _raw_unsafe(text) == []
    if width:
        assert all(cell_len(line) <= width for line in text.splitlines())  # the terminal never wraps a line
    flat = text if width is None else _unwrap(text)
    clipped = False
    for name, value in leaves(args).items():
        if full or not is_bulk(name) or (len(shown(value)) <= 160 and len(value) <= PREVIEW_CHARS):
            assert shown(value) in flat, (name, value)
        else:
            clipped = True
    if clipped:
        assert f"llmos approvals show {a.id}" in flat and a.call_hash[:16] in text


def _unwrap(text: str) -> str:
    """Join the display's own continuation lines back to the line they continue."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("    … ") and out:
            out[-1] += line[len("    … "):]
        else:
            out.append(line)
    return "\n".join(out)


def test_escape_sequences_cannot_redraw_the_line():
    a = _approval({"path": "secrets.txt\x1b[2K\rpath = notes.txt", "data": "x"})
    text = render_approval(approval_info(a), full=False, width=None)
    assert "\x1b" not in text and "\r" not in text
    assert "path = secrets.txt\\x1b[2K\\x0dpath = notes.txt" in text


def test_padding_cannot_push_the_target_past_a_cut():
    target = "/home/me/.ssh/id_rsa"
    a = _approval({"path": " " * 5000 + target, "data": "ok"}, name="fs.delete")
    text = render_approval(approval_info(a), full=False, width=80)
    assert "⟨5000 blanks⟩" + target in _unwrap(text)
    assert len(text) < 400  # the padding is counted, not printed


def test_nested_target_of_a_tool_call_is_whole_and_a_long_payload_points_to_show():
    expr = "1" + "+1" * 3000  # a long calculator expression is a target: never clipped
    a = _approval({"name": "calculator", "args": {"expression": expr}, "data": "z" * 10_000}, name="tool.call",
                  untrusted=["args.expression"])
    text = render_approval(approval_info(a), full=False, width=None)
    assert f"args.expression = {expr}  [untrusted]" in text
    assert "data = " + "z" * 160 + "… (+9840 chars)" in text
    assert f"digest {a.call_hash[:16]}; every argument in full: llmos approvals show {a.id}" in text
    whole = render_approval(approval_info(a, full=True), full=True, width=None)
    assert "data = " + "z" * 10_000 in whole and "llmos approvals show" not in whole


def test_bidi_override_cannot_reverse_what_is_shown():
    a = _approval({"url": "https://bank.example/\u202etxt.exe"}, name="browser.open")
    text = render_approval(approval_info(a), full=False, width=None)
    assert "\u202e" not in text and "url = https://bank.example/\\u202etxt.exe" in text
