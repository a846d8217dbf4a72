"""The ``[engines.NAME]`` and ``[apps]`` tables of llmos.toml: named engines and the person's app -> engine
mapping, each value checked with a one-line error that names the file, line, table and key."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")  # an engine's name, as an app's (apps/manifest.py)
APP_RE = NAME_RE
DEFAULT = "default"
KEYS = {"model": "model", "n_slots": "n_slots", "slots": "n_slots", "n_ctx": "n_ctx", "context": "n_ctx"}
NAME_RULE = "lowercase letters, digits, '-' and '_', starting with a letter, at most 40"


class EngineConfError(ValueError):
    """A bad [engines] or [apps] entry; kernel/settings.py turns it into a SettingsError."""


def from_tables(engines: Any, apps: Any, at: Callable[..., str],
                check: Callable[[str, Any, str], Any]) -> list[tuple[str, Any, str, str]]:
    """``(field, value, "FILE:LINE", key)`` for ``engines`` and ``app_engines``.  ``at(*keys)`` is where a key
    is written; ``check(field, value, label)`` checks one value of a ``KernelConfig`` field (model, n_slots,
    n_ctx) as the [engine] table's values are checked."""
    out: list[tuple[str, Any, str, str]] = []
    names = [DEFAULT]
    if engines is not None:
        if not isinstance(engines, dict):
            raise EngineConfError(f"{at('engines')}: engines must be tables, one per engine: [engines.NAME]")
        table: dict[str, dict[str, Any]] = {}
        for name, conf in engines.items():
            where = at("engines", name)
            problem = name_problem(name)
            if problem:
                raise EngineConfError(f"{where}: engines.{name}: {problem}")
            if not isinstance(conf, dict):
                raise EngineConfError(f"{where}: engines.{name} must be a table ([engines.{name}] with model = ...)")
            entry: dict[str, Any] = {}
            for key, value in conf.items():
                field = KEYS.get(key)
                if field is None:
                    raise EngineConfError(f"{at('engines', name, key)}: unknown key 'engines.{name}.{key}' (one of "
                                          "model, n_slots, n_ctx)")
                if field in entry:
                    raise EngineConfError(f"{at('engines', name, key)}: engines.{name} sets {field} twice "
                                          f"('{key}' and another spelling)")
                entry[field] = check(field, value, f"{at('engines', name, key)}: engines.{name}.{key}")
            table[name] = entry
            names.append(name)
        out.append(("engines", table, at("engines"), "engines"))
    if apps is not None:
        if not isinstance(apps, dict):
            raise EngineConfError(f"{at('apps')}: apps must be a table: [apps] with APP = \"ENGINE\"")
        for app, engine in apps.items():
            where = at("apps", app)
            if not APP_RE.match(app):
                raise EngineConfError(f"{where}: apps.{app}: not an app name ({NAME_RULE} characters)")
            if not isinstance(engine, str):
                raise EngineConfError(f"{where}: apps.{app} must be an engine's name in quotes, got {engine!r}")
            if engine not in names:
                raise EngineConfError(f"{where}: apps.{app} names engine {engine!r}, which is not configured "
                                      f"(engines: {', '.join(names)})")
        out.append(("app_engines", dict(apps), at("apps"), "apps"))
    return out


def name_problem(name: str) -> str:
    """Why ``name`` cannot name an engine, or ""."""
    if name == DEFAULT:
        return "'default' is the engine of the [engine] table (model, slots, context); configure it there"
    if not NAME_RE.match(name):
        return f"an engine's name is {NAME_RULE} characters"
    return ""


def check(name: str, got: Any, label: str, check_value: Callable[[str, Any, str], Any]) -> None:
    """A whole ``engines`` or ``app_engines`` value (``KernelConfig`` fields), as converted, checked again."""
    if name == "engines":
        for engine, conf in got.items():
            problem = name_problem(engine)
            if problem:
                raise EngineConfError(f"{label}: engines.{engine}: {problem}")
            for field, value in msgspec.structs.asdict(conf).items():
                check_value(field, value, f"{label}: engines.{engine}.{field}")
    elif name == "app_engines":
        for app, engine in got.items():
            if not APP_RE.match(app):
                raise EngineConfError(f"{label}: apps.{app}: not an app name ({NAME_RULE} characters)")
            if not (engine == DEFAULT or NAME_RE.match(engine)):
                raise EngineConfError(f"{label}: apps.{app}: {engine!r} is not an engine's name")
