"""Normalisation of paths, URLs, hosts and text into the forms that rules compare."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from kernel.rules.confusables import skeleton

MAX_PATH_CHARS = 4096
MAX_URL_CHARS = 8192
MAX_TEXT_CHARS = 16384

# Characters that render as nothing; an attacker can use them to split a keyword.
_INVISIBLE_CATEGORIES = {"Cf", "Cc"}
# Dots that IDNA treats as label separators (ideographic, fullwidth, halfwidth).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


class Unnormalisable(ValueError):
    """The value cannot be put in a comparable form (too long, not a URL, bad host)."""


_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def strip_invisible(text: str) -> str:
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text  # fast path: NFKC and Cf/Cc stripping cannot change it
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE_CATEGORIES)


def text_forms(value: str) -> list[str]:
    """The raw text plus its NFKC / invisible-stripped form (deduplicated)."""
    if len(value) > MAX_TEXT_CHARS:
        raise Unnormalisable(f"text longer than {MAX_TEXT_CHARS} characters")
    forms = [value]
    if value.isascii() and not _ASCII_CONTROL.search(value):
        return forms
    folded = strip_invisible(unicodedata.normalize("NFKC", value))
    if folded != value:
        forms.append(folded)
    return forms


def _decode_percent(value: str) -> str:
    # Decode repeatedly so %252e%252e (double encoding) also collapses; bounded.
    for _ in range(3):
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    return value


def _normpath(path: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        path = home.rstrip("/") + path[1:]
    if not path.startswith("/"):
        path = "/" + path  # workspace-relative paths are rooted at the workspace
    out = posixpath.normpath(path)
    if out.startswith("//"):
        out = "/" + out.lstrip("/")
    return out


def path_forms(value: str, home: str = "/~") -> list[str]:
    """Normalised path forms: literal (.. and . resolved) and decoded/NFKC/backslash-folded."""
    if len(value) > MAX_PATH_CHARS:
        raise Unnormalisable(f"path longer than {MAX_PATH_CHARS} characters")
    if "\x00" in value:
        raise Unnormalisable("path contains a NUL byte")
    literal = _normpath(value, home)
    decoded = _decode_percent(value)
    decoded = strip_invisible(unicodedata.normalize("NFKC", decoded)).replace("\\", "/")
    folded = _normpath(decoded, home)
    return [literal] if folded == literal else [literal, folded]


def normalise_pattern_path(pattern: str, home: str = "/~") -> str:
    """A path glob in a rules file goes through the same mapping of ~ and rooting."""
    if pattern == "~" or pattern.startswith("~/"):
        pattern = home.rstrip("/") + pattern[1:]
    if not pattern.startswith("/"):
        pattern = "/" + pattern
    return pattern


def url_host(url: str) -> str:
    """The host a browser would contact for this URL, before IDNA (unicode, lowercase)."""
    if len(url) > MAX_URL_CHARS:
        raise Unnormalisable(f"URL longer than {MAX_URL_CHARS} characters")
    text = "".join(ch for ch in url.strip() if ch not in "\t\r\n")
    text = text.replace("\\", "/")  # browsers treat \ as / in http(s) URLs
    if not _SCHEME.match(text):
        text = "http://" + text.lstrip("/")  # a bare host, host/path or //host
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError as exc:
        raise Unnormalisable(f"not a URL: {exc}") from None
    if not host:
        raise Unnormalisable("URL has no host")
    return unquote(host)


def host_ascii(host: str) -> str:
    """IDNA/punycode ASCII form of a host: NFKC, lowercase, no trailing dot."""
    host = strip_invisible(unicodedata.normalize("NFKC", host)).translate(_DOTS)
    host = host.lower().rstrip(".")
    if not host:
        raise Unnormalisable("empty host")
    if host.isascii():
        labels = host.split(".")
    else:
        labels = []
        for label in host.split("."):
            if label.isascii():
                labels.append(label)
                continue
            try:
                labels.append(label.encode("idna").decode("ascii"))
            except UnicodeError as exc:
                raise Unnormalisable(f"host label {label!r} is not valid IDNA: {exc}") from None
    if any(label == "" for label in labels):
        raise Unnormalisable(f"host {host!r} has an empty label")
    return ".".join(labels)


def host_unicode(ascii_host: str) -> str:
    labels = []
    for label in ascii_host.split("."):
        if label.startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except UnicodeError:
                pass
        labels.append(label)
    return ".".join(labels)


# Han, kana and hangul mix legitimately in one label (and with Latin): one group.
_CJK = {"CJK": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK",
        "IDEOGRAPHIC": "CJK", "BOPOMOFO": "CJK"}


def _script(ch: str) -> str | None:
    if ch.isascii():
        return "LATIN" if ch.isalpha() else None
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    word = name.split(" ", 1)[0] if name else "UNKNOWN"
    return _CJK.get(word, word)


def is_mixed_script(host_text: str) -> bool:
    """True when one label mixes letters of several scripts (the classic homoglyph trick:
    Latin with Cyrillic, Greek, Armenian, ...). CJK scripts may mix with each other and Latin."""
    if host_text.isascii():
        return False
    for label in host_text.split("."):
        scripts = {s for s in map(_script, label) if s is not None} - {"CJK"}
        if len(scripts) > 1:
            return True
    return False


class HostForms:
    """A URL's host in the forms rules compare: ASCII/punycode, visual skeleton, script mix."""

    __slots__ = ("ascii", "mixed_script", "skeleton")

    def __init__(self, value: str, *, is_url: bool = True):
        host = url_host(value) if is_url else value
        self.ascii = host_ascii(host)
        uni = host_unicode(self.ascii)
        self.mixed_script = is_mixed_script(uni)
        self.skeleton = skeleton(uni)
