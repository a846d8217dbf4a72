"""The kernel API's TCP listener as configured: addresses, where its token comes from, TLS files, the
warning for a cleartext listener other machines can reach, and the client's choice of target."""
from __future__ import annotations

import os
import stat

import pytest

from kernel.api.listen import ListenError, cleartext_warning, load_token, parse_address, prepare
from kernel.settings import SettingsError, load
from llmos import remote


def test_addresses():
    assert parse_address("127.0.0.1:7070") == ("127.0.0.1", 7070)
    assert parse_address("[::1]:0") == ("::1", 0)
    assert parse_address("localhost:80") == ("localhost", 80)
    for bad in ("7070", "127.0.0.1", ":7070", "host:port", "1.2.3.4:70000", "[::1]7070"):
        with pytest.raises(ValueError):
            parse_address(bad)


def test_cleartext_warning_only_off_loopback_without_tls():
    assert cleartext_warning("127.0.0.1", False) is None
    assert cleartext_warning("::1", False) is None
    assert cleartext_warning("localhost", False) is None
    assert cleartext_warning("10.0.0.5", True) is None
    assert "clear text" in cleartext_warning("0.0.0.0", False)
    assert "clear text" in cleartext_warning("myhost.example", False)


def test_the_token_is_made_once_0600_and_reused(tmp_path):
    first = load_token(tmp_path, env={})
    path = tmp_path / "kernel.token"
    assert len(first) == 64 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_token(tmp_path, env={}) == first
    assert load_token(tmp_path, env={"LLMOS_KERNEL_TOKEN": "e" * 20}) == "e" * 20  # the environment wins


def test_bad_tokens_stop_the_listener(tmp_path):
    with pytest.raises(ListenError, match="at least 16"):
        load_token(tmp_path, env={"LLMOS_KERNEL_TOKEN": "short"})
    shared = tmp_path / "shared.token"
    shared.write_text("s" * 32)
    shared.chmod(0o640)
    with pytest.raises(ListenError, match="may be read by others"):
        load_token(tmp_path, str(shared), env={})
    with pytest.raises(ListenError, match="no such file"):
        load_token(tmp_path, str(tmp_path / "absent"), env={})


def test_prepare_checks_tls_files_and_pairs(tmp_path):
    assert prepare("", tmp_path, env={}) is None
    with pytest.raises(ListenError, match="no --listen"):
        prepare("", tmp_path, cert="c.pem", env={})
    with pytest.raises(ListenError, match="both"):
        prepare("127.0.0.1:0", tmp_path, cert="c.pem", env={})
    with pytest.raises(ListenError, match="cannot load the TLS certificate"):
        prepare("127.0.0.1:0", tmp_path, cert=str(tmp_path / "c.pem"), key=str(tmp_path / "k.pem"), env={})
    plan = prepare("127.0.0.1:0", tmp_path, env={"LLMOS_KERNEL_TOKEN": "t" * 30})
    assert plan is not None and plan.tls is None and "t" * 30 not in repr(plan)


def test_config_file_and_environment(tmp_path):
    (tmp_path / "llmos.toml").write_text('[kernel]\nlisten = "127.0.0.1:7070"\ntls_cert = "tls/cert.pem"\n'
                                         'tls_key = "/etc/key.pem"\ntoken_file = "tok"\n')
    cfg = load(tmp_path, env={}).config
    assert cfg.kernel_listen == "127.0.0.1:7070" and cfg.kernel_tls_key == "/etc/key.pem"
    assert cfg.kernel_tls_cert == str(tmp_path / "tls" / "cert.pem") and cfg.kernel_token_file == str(tmp_path / "tok")
    assert load(tmp_path, env={"LLMOS_KERNEL_LISTEN": "[::1]:9"}).config.kernel_listen == "[::1]:9"
    (tmp_path / "llmos.toml").write_text('[kernel]\nlisten = "everywhere"\n')
    with pytest.raises(SettingsError, match=r"llmos.toml:2: kernel.listen must be '' \(off\) or HOST:PORT"):
        load(tmp_path, env={})


def test_the_clients_target():
    assert remote.target({}) is None
    t = remote.target({"LLMOS_KERNEL": "127.0.0.1:7070"})
    assert t is not None and not t.tls and t.label == "127.0.0.1:7070"
    assert remote.target({"LLMOS_KERNEL": "tls://[::1]:7070"}).label == "tls://[::1]:7070"
    assert remote.target({"LLMOS_KERNEL": "h:1", "LLMOS_KERNEL_CA": "/ca.pem"}).tls  # a CA means TLS
    assert remote.target({"LLMOS_KERNEL": "h:1", "LLMOS_KERNEL_TIMEOUT": "3"}).timeout == 3.0
    for bad in ("http://h:1", "h", "h:x"):
        with pytest.raises(remote.Unreachable):
            remote.target({"LLMOS_KERNEL": bad})
