"""Metadata filters: normalise a friendly ``where`` dict to chromadb's form, and match it in Python."""
from __future__ import annotations

from typing import Any, Mapping

from ..errors import DriverError

_COMPARE = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin"}
_LOGIC = {"$and", "$or"}


def normalize_where(where: Mapping[str, Any] | None) -> dict | None:
    """``{"app": "x", "kind": "fact"}`` becomes ``{"$and": [{"app": "x"}, {"kind": "fact"}]}``
    (chromadb wants exactly one key per level).  Validates operators."""
    if not where:
        return None
    if not isinstance(where, Mapping):
        raise DriverError("where must be a dict", code="invalid")
    parts = []
    for key, cond in where.items():
        if key in _LOGIC:
            if not isinstance(cond, (list, tuple)) or not cond:
                raise DriverError(f"{key} needs a non-empty list", code="invalid")
            subs = [normalize_where(c) for c in cond]
            subs = [s for s in subs if s]
            parts.append(subs[0] if len(subs) == 1 else {key: subs})
        elif key.startswith("$"):
            raise DriverError(f"unknown where operator {key!r}", code="invalid")
        elif isinstance(cond, Mapping):
            if len(cond) != 1 or next(iter(cond)) not in _COMPARE:
                raise DriverError(f"where[{key!r}] must be one of {sorted(_COMPARE)}", code="invalid")
            parts.append({key: dict(cond)})
        elif isinstance(cond, (str, int, float, bool)):
            parts.append({key: cond})
        else:
            raise DriverError(f"where[{key!r}] has an unsupported value", code="invalid")
    return parts[0] if len(parts) == 1 else {"$and": parts}


def matches(where: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> bool:
    """Evaluate a (normalised or friendly) where filter against one item's metadata."""
    where = normalize_where(where)
    return True if where is None else _match(where, metadata)


def _match(where: Mapping[str, Any], md: Mapping[str, Any]) -> bool:
    ((key, cond),) = where.items()
    if key == "$and":
        return all(_match(c, md) for c in cond)
    if key == "$or":
        return any(_match(c, md) for c in cond)
    if not isinstance(cond, Mapping):
        cond = {"$eq": cond}
    ((op, want),) = cond.items()
    if key not in md:
        return op in ("$ne", "$nin")
    have = md[key]
    if op == "$eq":
        return have == want and isinstance(have, bool) == isinstance(want, bool)
    if op == "$ne":
        return have != want
    if op == "$in":
        return have in want
    if op == "$nin":
        return have not in want
    try:
        return {"$gt": have > want, "$gte": have >= want, "$lt": have < want, "$lte": have <= want}[op]
    except TypeError:
        return False
