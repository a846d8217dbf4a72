"""Untrusted text cannot redraw or reorder what a person reads."""
from hypothesis import given
from hypothesis import strategies as st

from llmos.textsafe import clip, printable


def test_escape_sequences_are_shown_not_run():
    shown = printable("rm -rf /tmp/x\x1b[2K\rcalculator 1+1")
    assert "\x1b" not in shown and "\r" not in shown
    assert "\\x1b[2K\\x0dcalculator" in shown


def test_bidi_override_is_visible():
    shown = printable("invoice\u202egpj.exe")
    assert "\u202e" not in shown and "\\u202e" in shown


def test_newlines_kept_only_when_asked():
    assert printable("a\nb") == "a\\x0ab"
    assert printable("a\nb", newlines=True) == "a\nb"


def test_clip_says_how_much_was_cut():
    assert clip("x" * 10, 4) == "xxxx… (+6 chars)"
    assert clip("short", 10) == "short"


@given(st.text())
def test_fuzz_no_control_or_bidi_survives(s):
    shown = printable(s)
    import unicodedata
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for c in shown)
