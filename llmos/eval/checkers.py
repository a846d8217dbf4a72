"""Answer checkers: exact, number, contains, contains_any, json_match, and Python checkers shipped next to a suite."""
from __future__ import annotations

import importlib.util
import json
import math
import re
import sys
from pathlib import Path
from typing import Any, Callable

from .suite import Item

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_loaded: dict[str, Callable[..., Any]] = {}


class CheckError(Exception):
    """A Python checker that cannot be loaded or raised; the item counts as a system failure."""


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".").casefold()


def exact(answer: str, expect: str) -> bool:
    """Equal after trimming, collapsing spaces, dropping a final period and ignoring case."""
    return _tidy(answer) == _tidy(expect)


def last_number(answer: str) -> float | None:
    found = NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}\b)", "", answer))
    return float(found[-1]) if found else None


def number(answer: str, expect: float) -> bool:
    """The last number in the answer equals ``expect`` (relative tolerance 1e-6; ``1,000`` reads as 1000)."""
    got = last_number(answer)
    return got is not None and math.isclose(got, float(expect), rel_tol=1e-6, abs_tol=1e-9)


def contains(answer: str, expect: str | list[str]) -> bool:
    """Every expected piece appears in the answer, ignoring case."""
    wanted = [expect] if isinstance(expect, str) else expect
    text = answer.casefold()
    return all(w.casefold() in text for w in wanted)


def contains_any(answer: str, expect: str | list[str]) -> bool:
    """One of the expected pieces appears in the answer, ignoring case (alternatives: "cacti" or "cactuses")."""
    wanted = [expect] if isinstance(expect, str) else expect
    text = answer.casefold()
    return any(w.casefold() in text for w in wanted)


def first_json(text: str) -> Any:
    """The answer as JSON, or the first JSON object or array inside it; raises ValueError without one."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    dec = json.JSONDecoder()
    for m in re.finditer(r"[\[{]", text):
        try:
            return dec.raw_decode(text, m.start())[0]
        except ValueError:
            continue
    raise ValueError("no JSON in the answer")


def same(a: Any, b: Any) -> bool:
    """JSON equality where 3 == 3.0 but True != 1, and strings compare exactly."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def json_match(answer: str, expect: Any) -> bool:
    """The answer (or the first JSON value in it) equals ``expect`` exactly: same keys, same values."""
    try:
        got = first_json(answer)
    except ValueError:
        return False
    return same(got, expect)


def _python(spec: str, folder: Path) -> Callable[..., Any]:
    _, module, func = spec.split(":")
    key = f"{folder}/{module}:{func}"
    if key not in _loaded:
        source = folder / f"{module}.py"
        name = f"llmos_eval_checker_{abs(hash(str(source)))}_{module}"
        try:
            spec_ = importlib.util.spec_from_file_location(name, source)
            if spec_ is None or spec_.loader is None:
                raise CheckError(f"cannot load checker module {source}")
            mod = importlib.util.module_from_spec(spec_)
            sys.modules[name] = mod
            spec_.loader.exec_module(mod)
        except CheckError:
            raise
        except Exception as exc:  # a broken checker file is reported, never a traceback
            raise CheckError(f"checker {spec}: {type(exc).__name__}: {exc}") from None
        fn = getattr(mod, func, None)
        if not callable(fn):
            raise CheckError(f"checker {spec}: {module}.py has no function {func!r}")
        _loaded[key] = fn
    return _loaded[key]


def check(item: Item, answer: str, folder: Path) -> bool:
    """Whether ``answer`` passes ``item``'s checker; raises ``CheckError`` when a Python checker fails."""
    c = item.checker
    if c == "exact":
        return exact(answer, item.expect)
    if c == "number":
        return number(answer, item.expect)
    if c == "contains":
        return contains(answer, item.expect)
    if c == "contains_any":
        return contains_any(answer, item.expect)
    if c == "json_match":
        return json_match(answer, item.expect)
    fn = _python(c, folder)
    try:
        return bool(fn(answer, item.expect, item))
    except Exception as exc:  # noqa: BLE001 - a checker's bug is the suite's, reported per item
        raise CheckError(f"checker {c} raised {type(exc).__name__}: {exc}") from None
