"""One run inside one container (blocking; the Sandbox calls it from a worker thread)."""
from __future__ import annotations

import threading
import time

from . import probe, recipe, tarsafe
from .errors import SandboxError
from .policy import Limits
from .result import BoundedBuffer, ExecResult

CODE_DIR = ".llmos"
# Runs the program, then SIGKILLs every other process the sandbox user still has
# (kill(-1) spares the caller and PID 1), so background children holding the output
# pipes cannot keep the run open, and nothing outlives the run.
_WRAP = ["/bin/sh", "-c", '"$@"; rc=$?; kill -9 -1 2>/dev/null; exit $rc', "llmos-run"]
# Past this many bytes of output the run is stopped: the bound is kept, the rest dropped.
FLOOD_FACTOR = 16


# Code up to this size travels in argv (no archive copy: about half the latency of a
# warm call); longer code, or code with NUL bytes, is copied in as a file.
ARGV_CODE_MAX = 64 * 1024


def command_for(kind: str, code: str) -> tuple[list[str], dict[str, bytes]]:
    """The argv and the files that run ``code`` of ``kind`` (``python`` or ``shell``)."""
    if kind not in ("python", "shell"):
        raise SandboxError(f"unknown kind {kind!r}; use 'python' or 'shell'", code="invalid")
    interp = ["python3"] if kind == "python" else ["/bin/bash"]
    raw = code.encode()
    if len(raw) <= ARGV_CODE_MAX and b"\x00" not in raw:
        return interp + ["-c", code], {}
    name = f"{CODE_DIR}/main.{'py' if kind == 'python' else 'sh'}"
    return interp + [f"{recipe.WORKDIR}/{name}"], {name: raw}


class RunState:
    """Shared between a run and whoever may stop it (timer, release): the first reason wins."""

    def __init__(self, api, cid: str):
        self.api, self.cid = api, cid
        self.reason = ""
        self.started = False  # the program has been started (a retry would run it twice)
        self._lock = threading.Lock()

    def stop(self, reason: str) -> bool:
        with self._lock:
            if self.reason:
                return False
            self.reason = reason
        try:
            self.api.kill(self.cid)  # SIGKILL the whole container: every process in it
        except Exception:
            pass
        return True


def put_files(api, cid: str, archive: bytes) -> None:
    """Copy a tar into the work folder; members keep the sandbox user's uid from the tar."""
    if not api.put_archive(cid, recipe.WORKDIR, archive):
        raise SandboxError("copying files into the sandbox failed", code="io")


def run(api, cid: str, argv: list[str], *, files: dict[str, bytes], limits: Limits,
        collect: list[str] | None, state: RunState, local: bool,
        env: dict[str, str] | None = None) -> ExecResult:
    """Copy ``files`` in, run ``argv`` under the limits, collect files back."""
    t0 = time.monotonic()
    if files:
        put_files(api, cid, tarsafe.pack(files, limits.files_in_bytes))
    eid = api.exec_create(cid, _WRAP + argv, user=f"{recipe.UID}:{recipe.UID}",
                          workdir=recipe.WORKDIR, environment=env or None)["Id"]
    timer = threading.Timer(limits.timeout_s, _on_timeout, (api, cid, limits, state, local))
    timer.daemon = True
    out, err = BoundedBuffer(limits.output_bytes), BoundedBuffer(limits.output_bytes)
    flood = max(limits.output_bytes * FLOOD_FACTOR, 1024 * 1024)
    timer.start()
    state.started = True
    try:
        for o, e in api.exec_start(eid, stream=True, demux=True):
            if o:
                out.add(o)
            if e:
                err.add(e)
            if out.total + err.total > flood:
                state.stop("output")
                break
    except Exception as exc:  # the connection broke because we killed the container
        if not state.reason:
            raise SandboxError(f"exec stream failed: {exc}", code="io") from exc
    finally:
        timer.cancel()
    exit_code = _exit_code(api, eid, state)
    if not state.reason and exit_code == 137:
        if (probe.counter(api, cid, "oom", local=local) or 0) > 0 or probe.oom_flag(api, cid):
            state.reason = "oom"
    result = ExecResult(exit_code=exit_code, stdout=out.text(), stderr=err.text(),
                        truncated=out.truncated or err.truncated, killed=state.reason)
    if collect and state.reason in ("", "oom"):
        result.files_out, result.refused = _collect(api, cid, collect, limits)
    elif collect:
        result.refused = [f"{p}: not collected, the run was killed ({state.reason})" for p in collect]
    result.duration_s = round(time.monotonic() - t0, 4)
    return result


def _on_timeout(api, cid: str, limits: Limits, state: RunState, local: bool) -> None:
    if state.reason:
        return
    hit = probe.counter(api, cid, "pids", local=local) if local else None
    if hit is None:
        hit = 1 if probe.pids_near_limit(api, cid, limits.pids) else 0
    state.stop("pids" if hit else "timeout")


def _exit_code(api, eid: str, state: RunState) -> int:
    for _ in range(50):
        try:
            info = api.exec_inspect(eid)
        except Exception:
            if not state.reason:  # the engine went away mid-run: its outcome is unknown, say so
                raise
            break
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        if state.reason:
            break
        time.sleep(0.02)
    return 137 if state.reason else -1


def _collect(api, cid: str, paths: list[str], limits: Limits) -> tuple[dict[str, bytes], list[str]]:
    import posixpath

    import docker.errors

    files: dict[str, bytes] = {}
    refused: list[str] = []
    budget = limits.files_out_bytes
    for raw in paths:
        try:
            rel = tarsafe.safe_relpath(raw)
        except SandboxError as exc:
            refused.append(f"{raw}: {exc}")
            continue
        try:
            chunks, _stat = api.get_archive(cid, f"{recipe.WORKDIR}/{rel}")
        except docker.errors.NotFound:
            refused.append(f"{rel}: no such file")
            continue
        except docker.errors.APIError as exc:
            refused.append(f"{rel}: {exc.explanation or exc}")
            continue
        # tar framing adds headers and padding; allow a little over the content budget
        data = tarsafe.read_bounded(chunks, budget + 64 * 1024)
        if data is None:
            refused.append(f"{rel}: archive larger than the limit of {limits.files_out_bytes} bytes")
            continue
        got, bad = tarsafe.unpack(data, prefix=posixpath.dirname(rel),
                                  file_max=limits.file_out_bytes, total_max=budget)
        files.update(got)
        refused.extend(bad)
        budget -= sum(len(v) for v in got.values())
    return files, refused
