"""The effective configuration: defaults < ``llmos.toml`` in the home < ``LLMOS_*`` variables < command-line flags.

Every value is checked on the way in; a bad one is a ``SettingsError`` that names the key and where it
came from (``file:line``, the environment variable, or the flag).  ``load`` also says, for every field
of ``KernelConfig``, which source won, for ``llmos config show``."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from kernel.config import KernelConfig
from kernel.sched import engineconf

FILE = "llmos.toml"
POLICIES = ("fifo", "rr", "priority", "fair", "plas")
LOG_LEVELS = ("debug", "info", "warning", "error")
EXPORTERS = ("", "off", "otlp", "jsonl")

# [table] key -> KernelConfig field.  Besides these, a top-level key may name a field, and [table] key
# maps onto the field "table_key" when there is one (so fields other parts add are configurable too).
ALIASES = {
    ("engine", "model"): "model", ("engine", "slots"): "n_slots", ("engine", "context"): "n_ctx",
    ("scheduler", "policy"): "policy", ("scheduler", "quantum"): "quantum",
    ("budgets", "tokens"): "max_tokens",
    ("rules", "files"): "rules_files", ("rules", "approval_ttl"): "approval_ttl",
    ("log", "level"): "log_level", ("log", "console"): "log_console",
    ("kernel", "syscall_timeout"): "syscall_timeout", ("kernel", "term_grace"): "term_grace",
    ("kernel", "subsystems"): "subsystems",
}
ENV = {
    "LLMOS_MODEL": "model", "LLMOS_SLOTS": "n_slots", "LLMOS_CTX": "n_ctx", "LLMOS_POLICY": "policy",
    "LLMOS_QUANTUM": "quantum", "LLMOS_MAX_TOKENS": "max_tokens", "LLMOS_SYSCALL_TIMEOUT": "syscall_timeout",
    "LLMOS_LOG_LEVEL": "log_level", "LLMOS_RULES": "rules_files", "LLMOS_TELEMETRY": "telemetry_exporter",
    "LLMOS_TELEMETRY_ENDPOINT": "telemetry_endpoint", "LLMOS_TELEMETRY_FILE": "telemetry_file",
    "LLMOS_API": "api_enabled", "LLMOS_API_HOST": "api_host", "LLMOS_API_PORT": "api_port",
    "LLMOS_SANDBOX_ENGINE": "sandbox_engine",
    "LLMOS_KERNEL_LISTEN": "kernel_listen", "LLMOS_KERNEL_TOKEN_FILE": "kernel_token_file",
}
PATHS = ("rules_files", "kernel_token_file", "kernel_tls_cert", "kernel_tls_key")  # relative to the file's folder
def _model_spec(v: str) -> bool:
    """The shape of an engine spec (drivers/llm/factory.py); whether the file or server is there is
    found when the engine starts."""
    from drivers.llm.base import EngineError
    from drivers.llm.factory import parse_spec
    try:
        parse_spec(v)
    except EngineError:
        return False
    return True


def _address(v: str) -> bool:
    from kernel.api.listen import parse_address
    if not v.strip():
        return True
    try:
        parse_address(v)
    except ValueError:
        return False
    return True


CHECKS: dict[str, tuple[Any, str]] = {
    "model": (_model_spec, "'' or embedded (either may end in :q8_0 or :f16), a .gguf path (may too), "
                           "an http(s) URL (or several separated by commas: replicas), or scripted"),
    "n_slots": (lambda v: 1 <= v <= 256, "a whole number from 1 to 256"),
    "engine_timeout": (lambda v: v > 0, "more than 0 seconds"),
    "engine_connect_timeout": (lambda v: v > 0, "more than 0 seconds"),
    "engine_retry_s": (lambda v: v >= 0, "0 seconds or more"),
    "n_ctx": (lambda v: 256 <= v <= 1 << 21, "a whole number of tokens from 256 to 2097152"),
    "policy": (lambda v: v in POLICIES, "one of " + ", ".join(POLICIES)),
    "quantum": (lambda v: v >= 1, "at least 1"),
    "scheduler_age_s": (lambda v: v > 0, "more than 0 seconds"),
    "scheduler_max_bypass": (lambda v: v >= 1, "at least 1"),
    "max_tokens": (lambda v: v is None or v >= 1, "at least 1"),
    "syscall_timeout": (lambda v: v > 0, "more than 0 seconds"),
    "approval_ttl": (lambda v: v > 0, "more than 0 seconds"),
    "term_grace": (lambda v: v >= 0, "0 seconds or more"),
    "log_level": (lambda v: v.lower() in LOG_LEVELS, "one of " + ", ".join(LOG_LEVELS)),
    "telemetry_exporter": (lambda v: v.lower() in EXPORTERS, "one of off, otlp, jsonl"),
    "api_host": (lambda v: bool(v.strip()), "an address to listen on, e.g. 127.0.0.1"),
    "api_port": (lambda v: 0 <= v <= 65535, "a port from 0 (any free one) to 65535"),
    "api_max_body": (lambda v: 1024 <= v <= 1 << 30, "a number of bytes from 1024 to 1073741824"),
    "sandbox_engine": (lambda v: v == "" or re.fullmatch(r"(unix|tcp)://\S+", v) is not None,
                       "'' or a Docker engine address: unix:///var/run/docker.sock or tcp://HOST:PORT"),
    "sandbox_connect_timeout": (lambda v: 0 < v <= 600, "more than 0 and at most 600 seconds"),
    "kernel_listen": (lambda v: _address(v), "'' (off) or HOST:PORT, e.g. 127.0.0.1:7070 or [::1]:7070"),
}
FIELDS = set(KernelConfig.__struct_fields__) - {"home", "engines", "app_engines"}  # the last two: kernel/sched/engineconf.py


class SettingsError(ValueError):
    """A bad configuration value; the message starts with where it came from."""


@dataclass
class Settings:
    config: KernelConfig
    sources: dict[str, str] = field(default_factory=dict)  # field -> "default", "FILE:LINE", "env X", "flag --x"
    file: Path | None = None  # the llmos.toml that was read, if any


def config_file(home: Path, env: dict[str, str]) -> Path:
    return Path(env["LLMOS_CONFIG"]).expanduser() if env.get("LLMOS_CONFIG") else home / FILE


def load(home: str | Path | None = None, *, flags: dict[str, tuple[str, Any]] | None = None,
         env: dict[str, str] | None = None) -> Settings:
    """``flags`` maps a field to (flag name, value) for the flags the person gave (None values are skipped)."""
    env = dict(os.environ if env is None else env)
    flags = {f: fv for f, fv in (flags or {}).items() if fv[1] is not None}
    cfg, sources = KernelConfig(), {f: "default" for f in KernelConfig.__struct_fields__}
    if home is not None:
        cfg.home, sources["home"] = str(Path(home).expanduser()), "flag --home"
    elif env.get("LLMOS_HOME"):
        cfg.home, sources["home"] = str(Path(env["LLMOS_HOME"]).expanduser()), "env LLMOS_HOME"
    else:
        cfg.home = str(Path.home() / ".llmos")
    path = config_file(Path(cfg.home), env)
    read = None
    if path.is_file():
        read = path
        for name, value, where, key in from_file(path):
            _set(cfg, sources, name, value, where, strict=True, label=f"{where}: {key}")
    elif env.get("LLMOS_CONFIG"):
        raise SettingsError(f"env LLMOS_CONFIG: no such file {path}")
    for var, name in ENV.items():
        if var in env:
            raw: Any = env[var]
            if name == "rules_files":
                raw = [p for p in raw.split(os.pathsep) if p]
            _set(cfg, sources, name, raw, f"env {var}", strict=False)
    for name, (flag, value) in flags.items():
        _set(cfg, sources, name, value, f"flag {flag}", strict=False)
    return Settings(cfg, sources, read)


def _set(cfg: KernelConfig, sources: dict[str, str], name: str, value: Any, where: str, *, strict: bool,
         label: str = "") -> None:
    cfg_value = check(name, value, label or where, strict=strict)
    setattr(cfg, name, cfg_value)
    sources[name] = where


def _replica_list(spec: str, label: str) -> None:
    from drivers.llm.base import EngineError
    from drivers.llm.factory import parse_spec
    try:
        parse_spec(spec)
    except EngineError as exc:
        raise SettingsError(f"{label}: {exc}") from None


def _why(exc: msgspec.ValidationError) -> str:
    msg = str(exc)
    m = re.match(r"Expected `(.+?)`, got `(.+?)`", msg)
    if m:
        return f"must be of type {m.group(1)}"
    return re.sub(r"\s*- at `\$[^`]*`$", "", msg)


def check(name: str, value: Any, label: str, *, strict: bool = True) -> Any:
    """``value`` converted to the type of field ``name``, or a ``SettingsError`` that starts with ``label``
    (where the value came from: "FILE:LINE: table.key", "env LLMOS_X", "flag --x")."""
    try:
        got = msgspec.structs.asdict(msgspec.convert({name: value}, KernelConfig, strict=strict))[name]
    except msgspec.ValidationError as exc:
        raise SettingsError(f"{label} {_why(exc)}, got {value!r}") from None
    if name == "model" and "," in got:  # a replica list: say which entry is wrong
        _replica_list(got, label)
    rule = CHECKS.get(name)
    if rule is not None and not rule[0](got):
        raise SettingsError(f"{label} must be {rule[1]}, got {value!r}")
    if name in ("engines", "app_engines"):
        try:
            engineconf.check(name, got, label, lambda f, v, where: check(f, v, where))
        except engineconf.EngineConfError as exc:
            raise SettingsError(str(exc)) from None
    if name == "mcp_servers":
        from drivers.tools.mcp import SpecError, spec_of
        for server, table in got.items():
            try:
                spec_of(server, table)
            except SpecError as exc:
                raise SettingsError(f"{label.split(': ')[0]}: {exc}") from None
    if name == "sandbox_limits":
        from sandbox.policy import Limits
        for key, v in got.items():
            if key not in Limits.__struct_fields__:
                raise SettingsError(f"{label}: unknown sandbox limit '{key}' (one of "
                                    f"{', '.join(Limits.__struct_fields__)})")
            try:
                msgspec.convert({key: v}, Limits)
            except msgspec.ValidationError as exc:
                raise SettingsError(f"{label}.{key} {_why(exc)}, got {v!r}") from None
    return got


# -- the file ----------------------------------------------------------------------------------------
def from_file(path: Path) -> list[tuple[str, Any, str, str]]:
    """(field, value, "FILE:LINE", key as written) for every setting in ``path``; unknown keys are errors."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    lines = key_lines(text)

    def at(*keys: str) -> str:
        for n in range(len(keys), 0, -1):
            if keys[:n] in lines:
                return f"{path}:{lines[keys[:n]]}"
        return str(path)

    out: list[tuple[str, Any, str, str]] = []
    sandbox: dict[str, Any] = {}
    for key, value in data.items():
        if key in FIELDS:
            out.append((key, value, at(key), key))
        elif key in ("engines", "apps"):
            continue  # below, with each other: an [apps] entry must name an engine
        elif isinstance(value, dict) and key == "sandbox":
            for sub, v in value.items():  # its settings (engine, pool, ...), else container limits
                if f"sandbox_{sub}" in FIELDS and sub != "limits":
                    out.append((f"sandbox_{sub}", v, at(key, sub), f"{key}.{sub}"))
                else:
                    sandbox[sub] = v
        elif isinstance(value, dict):
            for sub, v in value.items():
                name = ALIASES.get((key, sub)) or (f"{key}_{sub}" if f"{key}_{sub}" in FIELDS else None)
                if name is None:
                    raise SettingsError(f"{at(key, sub)}: unknown key '{key}.{sub}' (docs/config.md lists them)")
                out.append((name, v, at(key, sub), f"{key}.{sub}"))
        elif key == "home":
            raise SettingsError(f"{at(key)}: 'home' cannot be set in the file that lives in it; "
                                f"use $LLMOS_HOME or --home")
        else:
            raise SettingsError(f"{at(key)}: unknown key '{key}' (docs/config.md lists them)")
    try:
        out.extend(engineconf.from_tables(data.get("engines"), data.get("apps"), at,
                                          lambda f, v, where: check(f, v, where)))
    except engineconf.EngineConfError as exc:
        raise SettingsError(str(exc)) from None
    if sandbox:
        for key, value in sandbox.items():  # each limit checked with its own line
            check("sandbox_limits", {key: value}, f"{at('sandbox', key)}: sandbox")
        out.append(("sandbox_limits", sandbox, at("sandbox"), "sandbox"))
    base = path.parent
    for i, (name, value, where, key) in enumerate(out):
        if name == "rules_files" and isinstance(value, list):
            out[i] = (name, [str(_resolve(base, p)) if isinstance(p, str) else p for p in value], where, key)
        elif name in PATHS and isinstance(value, str) and value:
            out[i] = (name, str(_resolve(base, value)), where, key)
    return out


def _resolve(base: Path, p: str) -> Path:
    q = Path(p).expanduser()
    return q if q.is_absolute() else base / q


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in dotted.split("."))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Where each table and key is first written, as (table..., key) -> line number (tomllib keeps none)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            end = s.find("]")
            table = _parts(s[1:end].strip("[]")) if end > 0 else table
            for i in range(1, len(table) + 1):
                lines.setdefault(table[:i], n)
            continue
        m = re.match(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=", s)
        if m:
            key = table + _parts(m.group(1))
            for i in range(len(table) + 1, len(key) + 1):
                lines.setdefault(key[:i], n)
    return lines


def shown(settings: Settings) -> dict[str, Any]:
    """The effective values as plain data, with MCP servers' ``env`` and ``headers`` values hidden
    (they often hold tokens)."""
    values: dict[str, Any] = msgspec.to_builtins(settings.config)
    values["mcp_servers"] = {
        name: {k: ({h: "<hidden>" for h in v} if k in ("env", "headers") and isinstance(v, dict) else v)
               for k, v in table.items()} if isinstance(table, dict) else table
        for name, table in values.get("mcp_servers", {}).items()}
    return values


def render(settings: Settings) -> str:
    """``llmos config show``: every effective value and where it came from."""
    values = shown(settings)
    out = [f"# llmos configuration (file: {settings.file or 'none; defaults apply'})"]
    for name in KernelConfig.__struct_fields__:
        value = msgspec.json.encode(values[name]).decode()
        out.append(f"{name:<20} = {value:<40} # {settings.sources.get(name, 'default')}")
    return "\n".join(out)
