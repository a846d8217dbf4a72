"""llmos.toml, LLMOS_* variables and flags: precedence, sources, and errors that say where a bad value came from."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.settings import SettingsError, key_lines, load

ROOT = Path(__file__).resolve().parents[2]
TOML = """# my llmos
model = "/models/small.gguf"

[engine]
slots = 8
context = 4096

[scheduler]
policy = "rr"
quantum = 32

[rules]
files = ["rules/user.toml"]

[mcp.servers.files]
command = "python"
args = ["-m", "files_server"]
env = { ROOT = "/srv" }
timeout = 10

[telemetry]
exporter = "jsonl"

[sandbox]
memory_mb = 512
"""


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    (h / "llmos.toml").write_text(TOML)
    return h


def test_file_values_map_onto_the_kernel_config(home):
    s = load(home, env={})
    c = s.config
    assert (c.model, c.n_slots, c.n_ctx, c.policy, c.quantum) == ("/models/small.gguf", 8, 4096, "rr", 32)
    assert c.rules_files == [str(home / "rules" / "user.toml")]  # relative to the file
    assert c.mcp_servers["files"]["args"] == ["-m", "files_server"] and c.telemetry_exporter == "jsonl"
    assert c.sandbox_limits == {"memory_mb": 512}
    f = str(home / "llmos.toml")
    assert s.sources["n_slots"] == f"{f}:5" and s.sources["policy"] == f"{f}:9"
    assert s.sources["mcp_servers"] == f"{f}:15" and s.sources["max_tokens"] == "default"


def test_the_sandbox_table_holds_the_engine_as_well_as_limits(home):
    (home / "llmos.toml").write_text('[sandbox]\nengine = "tcp://127.0.0.1:2375"\nconnect_timeout = 3\n'
                                     'memory_mb = 512\npool = 0\n')
    s = load(home, env={})
    c = s.config
    assert (c.sandbox_engine, c.sandbox_connect_timeout, c.sandbox_pool) == ("tcp://127.0.0.1:2375", 3.0, 0)
    assert c.sandbox_limits == {"memory_mb": 512}  # the rest of the table: container limits, as before
    assert s.sources["sandbox_engine"].endswith("llmos.toml:2")
    assert load(home, env={"LLMOS_SANDBOX_ENGINE": "unix:///run/d.sock"}).config.sandbox_engine == "unix:///run/d.sock"


def test_precedence_default_file_env_flag(home):
    env = {"LLMOS_SLOTS": "2", "LLMOS_POLICY": "fifo", "LLMOS_MAX_TOKENS": "900"}
    s = load(home, env=env, flags={"policy": ("--policy", "priority"), "n_ctx": ("--ctx", None)})
    c = s.config
    assert c.n_slots == 2 and s.sources["n_slots"] == "env LLMOS_SLOTS"  # env beats the file
    assert c.policy == "priority" and s.sources["policy"] == "flag --policy"  # a flag beats env and file
    assert c.n_ctx == 4096 and s.sources["n_ctx"].endswith("llmos.toml:6")  # a flag not given changes nothing
    assert c.max_tokens == 900 and c.quantum == 32
    assert load(home / "elsewhere", env={}).config.n_slots == 4  # no file: defaults


def test_home_and_config_file_come_from_env(home, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text("[engine]\nslots = 3\n")
    s = load(env={"LLMOS_HOME": str(home), "LLMOS_CONFIG": str(other)})
    assert s.config.home == str(home) and s.sources["home"] == "env LLMOS_HOME"
    assert s.config.n_slots == 3 and s.sources["n_slots"] == f"{other}:2"
    with pytest.raises(SettingsError, match="env LLMOS_CONFIG: no such file"):
        load(env={"LLMOS_HOME": str(home), "LLMOS_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize("text, env, flags, message", [
    ("[engine]\nslots = \"many\"\n", {}, {}, r"llmos.toml:2: engine.slots must be of type int, got 'many'"),
    ("\n\n[scheduler]\npolicy = \"lottery\"\n", {}, {}, r"llmos.toml:4: scheduler.policy must be one of fifo"),
    ("[engin]\nslots = 2\n", {}, {}, r"llmos.toml:2: unknown key 'engin.slots'"),
    ("colour = 1\n", {}, {}, r"llmos.toml:1: unknown key 'colour'"),
    ("[mcp.servers.files]\nargs = [\"x\"]\n", {}, {}, r"llmos.toml:1: mcp server 'files': give exactly one of"),
    ("[sandbox]\ncpus = 1\nmemory_mb = \"big\"\n", {}, {}, r"llmos.toml:3: sandbox.memory_mb must be of type int"),
    ("[engine]\nslots = [\n", {}, {}, r"llmos.toml: "),
    ("", {"LLMOS_SLOTS": "four"}, {}, r"^env LLMOS_SLOTS must be of type int, got 'four'"),
    ("", {"LLMOS_TELEMETRY": "zipkin"}, {}, r"^env LLMOS_TELEMETRY must be one of off, otlp, jsonl"),
    ("", {}, {"n_slots": ("--slots", 0)}, r"^flag --slots must be a whole number from 1 to 256, got 0"),
    ("[engine]\nmodel = \"embedded:q9\"\n", {}, {}, r"llmos.toml:2: engine.model must be '' or embedded"),
    ("", {"LLMOS_MODEL": "gpt"}, {}, r"^env LLMOS_MODEL must be '' or embedded .*, got 'gpt'"),
    ("", {}, {"model": ("--model", "scripted:q8_0")}, r"^flag --model must be"),
    ("[engine]\nmodel = \"http://a:1,,http://b:2\"\n", {}, {},
     r"llmos.toml:2: engine.model: replica list 'http://a:1,,http://b:2': entry 2 is empty$"),
    ("", {"LLMOS_MODEL": "http://a:1, gpt"}, {},
     r"^env LLMOS_MODEL: replica list 'http://a:1, gpt': entry 2 \('gpt'\) is not an http\(s\) URL$"),
    ("[engine]\ntimeout = 0\n", {}, {}, r"llmos.toml:2: engine.timeout must be more than 0 seconds, got 0"),

    ("[sandbox]\nengine = \"ftp://10.0.0.5\"\n", {}, {}, r"llmos.toml:2: sandbox.engine must be '' or a Docker engine"),
    ("[sandbox]\nconnect_timeout = 0\n", {}, {}, r"llmos.toml:2: sandbox.connect_timeout must be more than 0"),
    ("", {"LLMOS_SANDBOX_ENGINE": "localhost"}, {}, r"^env LLMOS_SANDBOX_ENGINE must be '' or a Docker engine"),
])
def test_a_bad_value_is_named_with_its_source(home, text, env, flags, message):
    (home / "llmos.toml").write_text(text)
    with pytest.raises(SettingsError, match=message):
        load(home, env=env, flags=flags)


def test_key_lines_follow_tables_and_dotted_keys():
    lines = key_lines('a = 1\n[b]\nc.d = 2\n[e."f.g"]\nh = 3\n')
    assert lines[("a",)] == 1 and lines[("b", "c", "d")] == 3 and lines[("e", "f", "g", "h")] == 5


def test_daemon_and_run_read_the_settings(home, monkeypatch):
    from llmos.kflags import config_from
    monkeypatch.setenv("LLMOS_HOME", str(home))
    monkeypatch.setenv("LLMOS_MODEL", "scripted")
    cfg = config_from(argparse.Namespace(home=None, model=None, slots=3, policy=None))
    assert (cfg.model, cfg.n_slots, cfg.policy) == ("scripted", 3, "rr")
    cfg = config_from(argparse.Namespace(model=None, max_tokens=50, slots=None, policy="fair"))
    assert (cfg.max_tokens, cfg.n_slots, cfg.policy, cfg.home) == (50, 8, "fair", str(home))


@pytest.mark.parametrize("spec", ["", "embedded", "embedded:q8_0", "/m/x.gguf:F16", "http://127.0.0.1:9/v1",
                                  "scripted", "http://127.0.0.1:8000,https://gpu-box:8000/v1"])
def test_good_model_specs_pass(home, spec):
    assert load(home, flags={"model": ("--model", spec)}).config.model == spec


def test_a_model_that_cannot_be_opened_is_a_clear_error(home, tmp_path, monkeypatch):
    import anyio

    from llmos.runlocal import run_local
    args = argparse.Namespace(app="assistant", task=["hi"], model=str(tmp_path / "none.gguf"), max_tokens=None,
                              slots=None, policy=None)
    monkeypatch.setenv("LLMOS_HOME", str(home))
    rec = anyio.run(run_local, args)
    assert (rec["exit_reason"], rec["exit_status"]) == ("error", 2)
    assert rec["error"] == f"cannot start the model: model file not found: {tmp_path / 'none.gguf'}"


def test_a_one_shot_run_warms_containers_only_for_apps_that_can_reach_one(home, tmp_path):
    from apps.registry import AppRegistry
    from llmos.runlocal import uses_sandbox
    app = home / "apps" / "shelly"
    app.mkdir(parents=True)
    (app / "app.toml").write_text('name = "shelly"\n[permissions]\nsyscalls = ["tool.call"]\ntools = ["sh*"]\n')
    reg = AppRegistry(installed_dir=home / "apps")
    assert not uses_sandbox(reg, "assistant")  # no sandbox tool; the pal it starts gets no python from it
    assert uses_sandbox(reg, "pal") and uses_sandbox(reg, "coder")  # the python tool
    assert uses_sandbox(reg, "manager")  # its workers could
    assert uses_sandbox(reg, "shelly")  # a glob that covers the shell tool
    assert uses_sandbox(reg, "no-such-app")  # the spawn will report it; nothing is guessed


def _llmos(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    e = {**os.environ, "LLMOS_HOME": str(home), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "llmos", *args], env=e, capture_output=True, text=True, check=False,
                          timeout=60, cwd=str(ROOT))


def test_config_show_prints_values_and_sources(home):
    r = _llmos("config", "show", home=home, LLMOS_SLOTS="6")
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("n_slots "))
    assert "= 6" in line and line.endswith("# env LLMOS_SLOTS")
    assert any(x.startswith("policy ") and x.endswith(f"{home / 'llmos.toml'}:9") for x in r.stdout.splitlines())
    data = json.loads(_llmos("config", "show", "--json", home=home).stdout)
    assert data["n_slots"] == {"value": 8, "source": f"{home / 'llmos.toml'}:5"}
    assert data["mcp_servers"]["value"]["files"]["env"] == {"ROOT": "<hidden>"}  # env often holds tokens
    assert "/srv" not in r.stdout
    (home / "llmos.toml").write_text("[engine]\ncontext = -1\n")
    bad = _llmos("config", "show", home=home)
    assert bad.returncode == 1 and f"{home / 'llmos.toml'}:2: engine.context must be" in bad.stderr
    assert "Traceback" not in bad.stderr
    daemon = _llmos("daemon", home=home)  # the daemon refuses to boot on it, and says why
    assert daemon.returncode == 2 and "engine.context must be" in daemon.stderr and "Traceback" not in daemon.stderr


def test_engine_timeouts_and_retry_come_from_the_engine_table(home):
    (home / "llmos.toml").write_text("[engine]\ntimeout = 30\nconnect_timeout = 2.5\nretry_s = 5\n")
    c = load(home, env={}).config
    assert (c.engine_timeout, c.engine_connect_timeout, c.engine_retry_s) == (30, 2.5, 5)
