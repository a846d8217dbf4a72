"""Start, find and stop the kernel daemon of an llmos home (``boot``, ``status``, ``halt``)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from kernel.api.daemon import pid_path, running_pid, socket_path
from kernel.config import default_home

BOOT_TIMEOUT = float(os.environ.get("LLMOS_BOOT_TIMEOUT", "120"))


class BootError(RuntimeError):
    pass


def home_of(home: str | Path | None = None) -> Path:
    return Path(home) if home else default_home()


def is_running(home: str | Path | None = None) -> int | None:
    return running_pid(home_of(home))


def boot(home: str | Path | None = None, *, model: str | None = None, slots: int | None = None,
         policy: str | None = None, listen: dict[str, str | None] | None = None,
         timeout: float = BOOT_TIMEOUT) -> tuple[int, bool]:
    """Start the daemon detached (its own session) and wait for its socket; (pid, started_now).

    ``listen``: the TCP listener's flags ({"--listen": "127.0.0.1:7070", "--tls-cert": PATH, ...})."""
    home = home_of(home)
    pid = running_pid(home)
    if pid is not None:
        return pid, False
    check_rules(home)
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)
    argv = [sys.executable, "-m", "llmos.kerneld", "--home", str(home)]
    if model is not None:
        argv += ["--model", model]
    if slots is not None:
        argv += ["--slots", str(slots)]
    if policy is not None:
        argv += ["--policy", policy]
    for flag, value in (listen or {}).items():
        if value is not None:  # paths made absolute: the daemon may not share this folder
            argv += [flag, value if flag == "--listen" else os.path.abspath(os.path.expanduser(value))]
    (home / "logs").mkdir(exist_ok=True)
    log = open(home / "logs" / "daemon.out", "ab")
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "LLMOS_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                            start_new_session=True, close_fds=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            other = running_pid(home)
            if other is not None:  # lost a race with another boot: that one serves
                return other, False
            raise BootError(f"the kernel exited during boot (status {proc.returncode}); "
                            f"see {home / 'logs' / 'daemon.out'}{_last_words(home / 'logs' / 'daemon.out')}")
        if socket_path(home).exists() and running_pid(home) == proc.pid:
            return proc.pid, True
        time.sleep(0.05)
    proc.kill()
    raise BootError(f"the kernel did not come up within {timeout:.0f}s; see {home / 'logs' / 'daemon.out'}")


def check_rules(home: Path) -> None:
    """Raise BootError naming the file, line and problem of the first rules file that does not
    load: the daemon would refuse to boot with it, and saying so here spares the model's load."""
    from apps.registry import AppRegistry
    from kernel.rules import RulesError
    from kernel.rules.boot import check_home
    from kernel.settings import SettingsError, load
    try:
        cfg = load(home).config
    except SettingsError:
        return  # the daemon reports a bad configuration itself
    try:
        check_home(cfg, AppRegistry(installed_dir=cfg.home_path() / "apps"))
    except RulesError as exc:
        raise BootError(str(exc)) from None


def _last_words(log: Path, lines: int = 6) -> str:
    """The end of the daemon's output, so a failed boot says why without a trip to the log."""
    try:
        tail = log.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        return ""
    return ("; it said:\n  " + "\n  ".join(tail)) if tail else ""


def wait_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def force_stop(home: str | Path | None = None) -> bool:
    """SIGTERM the daemon by its pid file (when its socket does not answer); True if it went away."""
    import signal
    home = home_of(home)
    try:
        pid = int(pid_path(home).read_text().strip())
    except (OSError, ValueError):
        return True
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        running_pid(home)
        return True
    return wait_gone(pid)
