"""Find and load every rules file a kernel uses: system defaults, the user's, each app's, extra files.

Rules fail closed: a kernel never runs with fewer rules than the person wrote.  ``load_sources``
collects every file's error (so ``llmos rules list`` can show them all); ``load_strict`` raises the
first one, and that is what the kernel's boot, ``llmos boot``, ``llmos run`` and ``llmos rules check``
use.  Order: system, user, app, then the files named in the configuration (loaded at user level);
a configured file that does not exist is an error, not a silent skip.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from kernel.rules.engine import RulesEngine
from kernel.rules.errors import RulesError
from kernel.rules.parse import default_rules_path

APP_RULES = "rules.toml"  # an app's own rules file, next to its app.toml


class Source(NamedTuple):
    path: Path
    level: str  # system | user | app
    app: str | None = None


class Loaded(NamedTuple):
    engine: RulesEngine
    sources: list[Source]  # the files whose rules are in force
    errors: list[RulesError]  # the files that were not loaded, and why


def user_rules_dir(home: str | Path) -> Path:
    return Path(home) / "rules"


def rule_sources(home: str | Path, manifests: Iterable[Any] = (),
                 extra: Iterable[str | Path] = ()) -> list[Source]:
    """Every rules file, in load order.  ``manifests`` are the installed apps (``.name``, ``.path``)."""
    out = [Source(default_rules_path(), "system")]
    user_dir = user_rules_dir(home)
    if user_dir.is_dir():
        out += [Source(p, "user") for p in sorted(user_dir.glob("*.toml")) if p.is_file()]
    for m in sorted(manifests, key=lambda m: m.name):
        f = Path(m.path) / APP_RULES if m.path else None
        if f is not None and f.is_file():
            out.append(Source(f, "app", m.name))
    out += [Source(Path(p).expanduser(), "user") for p in extra]
    return out


def load_sources(sources: Iterable[Source], *, default: str = "allow") -> Loaded:
    """An engine with every file that parses; the errors of those that do not."""
    engine = RulesEngine(default=default)
    loaded: list[Source] = []
    errors: list[RulesError] = []
    for src in sources:
        try:
            engine.add((src.path, src.level, src.app) if src.app else (src.path, src.level))
        except RulesError as exc:
            errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - one odd file must not stop the others
            errors.append(RulesError(f"cannot load: {type(exc).__name__}: {exc}", file=str(src.path)))
        else:
            loaded.append(src)
    return Loaded(engine, loaded, errors)


def load_all(home: str | Path, manifests: Iterable[Any] = (), extra: Iterable[str | Path] = ()) -> Loaded:
    return load_sources(rule_sources(home, manifests, extra))


def require_all(loaded: Loaded) -> Loaded:
    """``loaded`` itself when every file loaded; else raise the first file's RulesError."""
    if loaded.errors:
        raise loaded.errors[0]
    return loaded


def load_strict(home: str | Path, manifests: Iterable[Any] = (), extra: Iterable[str | Path] = ()) -> Loaded:
    """Every rules file, or RulesError (file, line, reason) for the first one that does not load."""
    return require_all(load_all(home, manifests, extra))
