"""Map the kernel's collection names (``user:alice``, ``proc:k1:42``) to valid chromadb names."""
from __future__ import annotations

import hashlib
import re

from ..errors import DriverError

MAX_NAME = 200
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]+")


def check_name(name: str) -> str:
    """A logical collection name: a non-empty printable string of at most 200 characters."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or not name.isprintable():
        raise DriverError(f"invalid collection name {name!r}", code="invalid")
    return name


def chroma_name(name: str) -> str:
    """An injective, valid chromadb name for a logical name: ``m-<slug>-<sha256[:16]>``.

    chromadb allows 3-512 characters of ``[a-zA-Z0-9._-]`` that start and end with
    a letter or digit.  The slug keeps names readable on disk; the hash keeps two
    logical names that slug alike (``user:a.b`` and ``user:a-b``) apart."""
    check_name(name)
    slug = _UNSAFE.sub("-", name).strip("-_")[:48] or "x"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"m-{slug}-{digest}"
