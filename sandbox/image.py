"""Building the sandbox image offline: debootstrap a Debian root, post-process it, `docker import` it."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import recipe
from .engine import connect
from .errors import SandboxError

if TYPE_CHECKING:
    from rich.status import Status

MIRROR_ENV = "LLMOS_DEBIAN_MIRROR"  # optional; debootstrap's default mirror otherwise


def cache_dir() -> Path:
    """Where debootstrapped root filesystems are kept between builds."""
    if env := os.environ.get("LLMOS_SANDBOX_CACHE"):
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/llmos/sandbox")
    home = os.environ.get("LLMOS_HOME") or os.path.expanduser("~/.llmos")
    return Path(home) / "cache" / "sandbox"


def image_exists(client, tag: str | None = None) -> bool:
    import docker.errors

    try:
        client.images.get(tag or recipe.image_tag())
        return True
    except docker.errors.ImageNotFound:
        return False


def build_image(progress: bool = True, *, force: bool = False, base_url: str | None = None) -> str:
    """Build the sandbox image unless the current recipe's tag already exists; return the tag.

    Raises SandboxError(unavailable) when no engine answers or the build cannot run here.
    """
    out = _Steps(progress)
    client = connect(base_url, timeout=900)
    tag = recipe.image_tag()
    if not force and image_exists(client, tag):
        out.note(f"sandbox image {tag} is up to date")
        return tag
    root = _rootfs(out)
    with out.step(f"docker import {tag}"):
        _import(client, root, tag)
    _prune_old(client, tag, out)
    out.note(f"sandbox image {tag} is ready")
    return tag


def copy_image(to_url: str, *, from_url: str | None = None, progress: bool = False) -> str:
    """Load the current sandbox image from one engine (this host's by default) into another (``to_url``,
    e.g. an engine on another host that has no debootstrap), streamed by the Docker API: ``docker save``
    there, ``docker load`` here, never a registry.  Nothing happens when the tag is already there."""
    out = _Steps(progress)
    tag = recipe.image_tag()
    dst = connect(to_url, timeout=900)
    try:
        if image_exists(dst, tag):
            out.note(f"sandbox image {tag} is up to date on {to_url}")
            return tag
        src = connect(from_url, timeout=900)
        try:
            if not image_exists(src, tag):
                raise SandboxError(f"sandbox image {tag} is missing on {src.api.base_url}; build it there first "
                                   "(`python -m sandbox build`)", code="unavailable")
            with out.step(f"copy {tag} to {to_url}"):
                try:  # the saved image streams through in chunks, never whole in memory
                    for msg in dst.api.load_image(src.api.get_image(tag)):
                        if isinstance(msg, dict) and msg.get("error"):
                            raise SandboxError(str(msg["error"])[:300], code="io")
                except Exception as exc:
                    raise SandboxError(f"loading {tag} into {to_url} failed: {exc}", code="io") from exc
        finally:
            src.close()
        if not image_exists(dst, tag):
            raise SandboxError(f"the copy finished but {tag} is missing on {to_url}", code="io")
        _prune_old(dst, tag, out)
        return tag
    finally:
        dst.close()


def _rootfs(out: "_Steps") -> Path:
    """The post-processed root filesystem for the current recipe, from cache or freshly made."""
    h = recipe.recipe_hash()
    base = cache_dir()
    final, done = base / f"rootfs-{h}", base / f"rootfs-{h}.ok"
    if final.is_dir() and done.exists():
        out.note(f"using cached root filesystem {final}")
        return final
    if os.geteuid() != 0:
        raise SandboxError(
            "building the sandbox image needs root (debootstrap); run `sudo make run` "
            "or `sudo python -m sandbox build` once",
            code="unavailable",
        )
    if not shutil.which("debootstrap"):
        raise SandboxError(
            "debootstrap is missing; run scripts/setup-docker.sh as root or "
            "`apt-get install -y debootstrap`, then `python -m sandbox build`",
            code="unavailable",
        )
    base.mkdir(parents=True, exist_ok=True)
    for stale in base.glob("rootfs-*"):  # old recipes and half-made trees
        if stale.name not in (final.name, done.name):
            _rmtree(stale)
    work = base / f"rootfs-{h}.partial"
    _rmtree(work)
    _rmtree(final)
    cmd = ["debootstrap", f"--variant={recipe.VARIANT}",
           f"--include={','.join(recipe.PACKAGES)}", recipe.SUITE, str(work)]
    if mirror := os.environ.get(MIRROR_ENV):
        cmd.append(mirror)
    with out.step(f"debootstrap {recipe.SUITE} ({recipe.VARIANT} + {', '.join(recipe.PACKAGES)})"):
        _run_streaming(cmd, out)
    with out.step("post-install (user sandbox uid 1000, no setuid, trim)"):
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(recipe.POST_INSTALL)
        try:
            _run(["sh", f.name, str(work)])
        finally:
            os.unlink(f.name)
    work.rename(final)
    done.write_text(recipe.image_tag() + "\n")
    return final


def _import(client, root: Path, tag: str) -> None:
    repo, _, version = tag.partition(":")
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(root), "-c", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, errs = tar.stdout, tar.stderr
    assert out is not None and errs is not None  # both are PIPE
    try:
        client.api.import_image(src=out, repository=repo, tag=version,
                                changes=list(recipe.CHANGES), stream_src=True)
    except Exception as exc:
        tar.kill()
        raise SandboxError(f"docker import of {tag} failed: {exc}", code="io") from exc
    finally:
        out.close()
        err = errs.read().decode(errors="replace")
        rc = tar.wait()
    if rc != 0:
        raise SandboxError(f"tar of {root} failed ({rc}): {err.strip()[:300]}", code="io")
    if not image_exists(client, tag):
        raise SandboxError(f"docker import finished but {tag} is missing", code="io")


def _prune_old(client, keep: str, out: "_Steps") -> None:
    """Drop images of older recipes; one still used by a container stays."""
    for img in client.images.list(name=recipe.REPOSITORY):
        if keep in img.tags:
            continue
        try:
            client.images.remove(img.id)
            out.note(f"removed old image {', '.join(img.tags) or img.short_id}")
        except Exception:
            pass


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-500:]
        raise SandboxError(f"{cmd[0]} failed ({proc.returncode}): {tail}", code="io")


def _run_streaming(cmd: list[str], out: "_Steps") -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-20:]
        out.detail(line)
    if proc.wait() != 0:
        raise SandboxError(
            f"{cmd[0]} failed ({proc.returncode}); is the Debian mirror reachable? "
            f"last lines: {' | '.join(tail[-5:])}",
            code="io",
        )


def _rmtree(p: Path) -> None:
    if p.is_dir():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists():
        p.unlink()


class _Steps:
    """Progress display: a spinner with the latest detail line on a terminal, step lines otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._status: Status | None = None  # the spinner while a step runs on a terminal
        self._label = ""
        from rich.console import Console

        self.console = Console(stderr=True)

    def note(self, text: str) -> None:
        if self.enabled:
            self.console.print(f"sandbox: {text}", highlight=False)

    def detail(self, line: str) -> None:
        if self._status is not None:
            self._status.update(f"{self._label}: {line[:70]}")

    def step(self, label: str):
        steps = self

        class _Ctx:
            def __enter__(self):
                self.t0 = time.monotonic()
                steps._label = label
                if steps.enabled:
                    if steps.console.is_terminal:
                        steps._status = status = steps.console.status(label)
                        status.start()
                    else:
                        steps.console.print(f"sandbox: {label} ...", highlight=False)

            def __exit__(self, et, ev, tb):
                if steps._status is not None:
                    steps._status.stop()
                    steps._status = None
                mark = "done" if et is None else "FAILED"
                steps.note(f"{label}: {mark} in {time.monotonic() - self.t0:.1f} s")
                return False

        return _Ctx()
