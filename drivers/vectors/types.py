"""Value types of the vector driver: an item to store and a hit from a query."""
from __future__ import annotations

from typing import Union

import msgspec

from ..errors import DriverError

Scalar = Union[str, int, float, bool]


class Item(msgspec.Struct, frozen=True):
    """One stored text.  ``metadata`` values must be str, int, float or bool
    (chromadb's rule); the memory manager puts pid, app, user, kind and time there."""

    id: str
    text: str
    metadata: dict[str, Scalar] = {}


class Hit(msgspec.Struct, frozen=True):
    """One query result.  ``distance`` is cosine distance (0 = same direction,
    2 = opposite); ``score`` is cosine similarity, ``1 - distance``."""

    id: str
    text: str
    metadata: dict[str, Scalar]
    distance: float
    collection: str = ""

    @property
    def score(self) -> float:
        return 1.0 - self.distance


def check_items(items: list[Item]) -> None:
    """Reject what chromadb would reject, with a DriverError(code="invalid")."""
    seen: set[str] = set()
    for it in items:
        if not isinstance(it.id, str) or not it.id:
            raise DriverError("item id must be a non-empty string", code="invalid")
        if it.id in seen:
            raise DriverError(f"duplicate item id {it.id!r} in one add", code="invalid")
        seen.add(it.id)
        if not isinstance(it.text, str):
            raise DriverError(f"item {it.id!r}: text must be a string", code="invalid")
        for key, value in it.metadata.items():
            if not isinstance(key, str) or not key:
                raise DriverError(f"item {it.id!r}: metadata keys must be non-empty strings", code="invalid")
            if value is None or not isinstance(value, (str, int, float, bool)):
                raise DriverError(
                    f"item {it.id!r}: metadata {key!r} must be str, int, float or bool, "
                    f"not {type(value).__name__}", code="invalid")
