"""The API's settings: [api] in llmos.toml and LLMOS_API* variables, each checked with a clear error."""
from __future__ import annotations

import pytest

from kernel.settings import SettingsError, load


def test_api_settings_from_the_file_and_the_environment(tmp_path):
    (tmp_path / "llmos.toml").write_text('[api]\nenabled = false\nhost = "::1"\nport = 9001\nmax_body = 65536\n')
    cfg = load(tmp_path, env={}).config
    assert (cfg.api_enabled, cfg.api_host, cfg.api_port, cfg.api_max_body) == (False, "::1", 9001, 65536)
    cfg = load(tmp_path, env={"LLMOS_API": "true", "LLMOS_API_PORT": "0"}).config
    assert (cfg.api_enabled, cfg.api_port) == (True, 0)
    assert load(tmp_path / "other", env={}).config.api_host == "127.0.0.1"  # loopback unless told otherwise


@pytest.mark.parametrize("text,message", [
    ("[api]\nport = 70000\n", "api.port must be a port from 0"),
    ("[api]\nport = \"x\"\n", "api.port must be of type int"),
    ("[api]\nhost = \"  \"\n", "api.host must be an address"),
    ("[api]\nmax_body = 10\n", "api.max_body must be a number of bytes"),
])
def test_bad_api_settings_name_the_key(tmp_path, text, message):
    (tmp_path / "llmos.toml").write_text(text)
    with pytest.raises(SettingsError, match=message):
        load(tmp_path, env={})


def test_a_busy_port_is_an_event_and_the_kernel_still_boots(kernel_factory):
    import socket

    import anyio

    async def go():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            async with kernel_factory(subsystems=["openai_api"], api_port=port) as k:
                assert k.api_url == ""
                err = [e for e in k.events.recent if e["kind"] == "api.error"]
                assert err and f"127.0.0.1:{port}" in err[0]["error"]
    anyio.run(go)
