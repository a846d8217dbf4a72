"""[engines.NAME] and [apps] in llmos.toml: the values reach the kernel's config, and every bad one is one line
that names the file, the line, the table and the key."""
from __future__ import annotations

import argparse
from pathlib import Path

import anyio
import pytest

from kernel.settings import SettingsError, load, render

GOOD = """[engine]
model = "embedded"

[engines.big]
model = "http://127.0.0.1:8000"
n_slots = 32
n_ctx = 32768

[engines.local-2]
model = "scripted"
slots = 2
context = 2048

[apps]
coder = "big"
assistant = "default"
"""


def write(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / "llmos.toml").write_text(text)
    return home


def test_engine_tables_and_the_app_mapping_reach_the_kernel_config(tmp_path):
    home = write(tmp_path, GOOD)
    s = load(home, env={})
    c = s.config
    assert c.model == "embedded" and sorted(c.engines) == ["big", "local-2"]
    assert (c.engines["big"].model, c.engines["big"].n_slots, c.engines["big"].n_ctx) == ("http://127.0.0.1:8000", 32, 32768)
    assert (c.engines["local-2"].n_slots, c.engines["local-2"].n_ctx) == (2, 2048)  # [engine]'s spellings too
    assert c.app_engines == {"coder": "big", "assistant": "default"}
    f = home / "llmos.toml"
    assert s.sources["engines"] == f"{f}:4" and s.sources["app_engines"] == f"{f}:14"
    shown = render(s)
    assert '"big":{"model":"http://127.0.0.1:8000","n_slots":32,"n_ctx":32768}' in shown.replace(" ", "")


def test_an_engine_left_at_its_defaults_gets_four_slots_and_8192_tokens(tmp_path):
    c = load(write(tmp_path, '[engines.second]\nmodel = "embedded"\n'), env={}).config
    assert (c.engines["second"].n_slots, c.engines["second"].n_ctx, c.app_engines) == (4, 8192, {})


@pytest.mark.parametrize(("text", "line", "why"), [
    ('[engines.big]\nmodel = "ftp://x"\n', 2, "engines.big.model must be '' or embedded"),
    ('[engines.big]\nmodel = "scripted"\nn_slots = 0\n', 3, "engines.big.n_slots must be a whole number from 1 to 256, got 0"),
    ('[engines.big]\nn_ctx = 100\n', 2, "engines.big.n_ctx must be a whole number of tokens from 256 to 2097152, got 100"),
    ('[engines.big]\nn_slots = "many"\n', 2, "engines.big.n_slots must be of type int, got 'many'"),
    ('[engines.big]\nmodel = "scripted"\nslotz = 2\n', 3, "unknown key 'engines.big.slotz' (one of model, n_slots, n_ctx)"),
    ('[engines.big]\nslots = 2\nn_slots = 3\n', 3, "engines.big sets n_slots twice"),
    ('[engines.Big]\nmodel = "scripted"\n', 1, "engines.Big: an engine's name is lowercase letters"),
    ('[engines.default]\nmodel = "scripted"\n', 1, "engines.default: 'default' is the engine of the [engine] table"),
    ('engines = 3\n', 1, "engines must be tables, one per engine: [engines.NAME]"),
    ('[engines]\nbig = "http://127.0.0.1:8000"\n', 2, "engines.big must be a table"),
    ('[engines.big]\nmodel = "scripted"\n\n[apps]\ncoder = "huge"\n', 5,
     "apps.coder names engine 'huge', which is not configured (engines: default, big)"),
    ('[apps]\ncoder = 3\n', 2, "apps.coder must be an engine's name in quotes, got 3"),
    ('[apps]\n"Not An App" = "default"\n', 2, "apps.Not An App: not an app name"),
    ('apps = "big"\n', 1, "apps must be a table"),
])
def test_a_bad_engine_or_mapping_is_one_line_that_says_where(tmp_path, text, line, why):
    home = write(tmp_path, text)
    with pytest.raises(SettingsError) as e:
        load(home, env={})
    msg = str(e.value)
    assert msg.startswith(f"{home / 'llmos.toml'}:{line}: ") and why in msg and "\n" not in msg, msg


def test_an_app_mapped_before_its_engine_is_written_is_fine(tmp_path):
    c = load(write(tmp_path, '[apps]\ncoder = "big"\n\n[engines.big]\nmodel = "scripted"\n'), env={}).config
    assert c.app_engines == {"coder": "big"} and c.engines["big"].model == "scripted"


def test_llmos_run_on_an_engine_no_one_configured_says_so_and_runs_nothing(tmp_path, monkeypatch):
    from llmos.runlocal import run_local
    home = write(tmp_path, '[engines.big]\nmodel = "scripted"\n')
    monkeypatch.setenv("LLMOS_HOME", str(home))
    args = argparse.Namespace(app="assistant", task=["hi"], model="scripted", max_tokens=None, slots=None, policy=None,
                              engine="huge")
    rec = anyio.run(run_local, args)
    assert (rec["exit_reason"], rec["exit_status"]) == ("error", 1)
    assert rec["error"] == "--engine huge: this kernel has no engine 'huge' (engines: default, big)"
