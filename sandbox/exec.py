"""One run inside one container (blocking; the Sandbox calls it from a worker thread)."""
from __future__ import annotations

import threading
import time
from typing import Callable

from docker.utils.socket import frames_iter

from . import agent, probe, recipe, tarsafe
from .errors import SandboxError
from .policy import Limits
from .result import BoundedBuffer, ExecResult

CODE_DIR = ".llmos"
# Past this many bytes of output the run is stopped: the bound is kept, the rest dropped.
FLOOD_FACTOR = 16


# Code up to this size travels in argv (no archive copy: about half the latency of a
# warm call); longer code, or code with NUL bytes, is copied in as a file.
ARGV_CODE_MAX = 64 * 1024
REFUSED_LINES = 50  # refusal lines kept from one collection (a run can make thousands of links)


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

    def __init__(self, api, cid: str, *, local: bool = False):
        self.api, self.cid, self.local = api, cid, local
        self.reason = ""
        self.cpu_at_stop: float | None = None  # CPU seconds read just before the kill
        self.started = False  # the program has been started (a retry would run it twice)
        self._lock = threading.Lock()

    def stop(self, reason: str) -> bool:
        with self._lock:
            if self.reason:
                return False
            self.reason = reason
        self.cpu_at_stop = probe.cpu_seconds(self.api, self.cid, local=self.local)
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
        env: dict[str, str] | None = None, fork: bool = False,
        before_start: Callable[[], None] | None = None) -> ExecResult:
    """Copy ``files`` in, have the container's agent run ``argv`` under the limits,
    collect files back.  The container must be a fresh one running the agent.
    ``fork``: ``argv`` is ``python3 -c CODE`` or ``python3 FILE``, run in a fork of the agent.
    ``before_start``: called once everything else is ready, just before the program starts."""
    t0 = time.monotonic()
    state.local = local
    cpu0 = probe.cpu_seconds(api, cid, local=local) or 0.0  # the idle agent's own start-up
    if files:
        put_files(api, cid, tarsafe.pack(files, limits.files_in_bytes))
    sock = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
    raw = getattr(sock, "_sock", sock)
    line, nonce = agent.job(argv, env, recipe.WORKDIR, fork=fork)
    timer = threading.Timer(limits.timeout_s, _on_timeout, (api, cid, limits, state, local))
    timer.daemon = True
    out, err = BoundedBuffer(limits.output_bytes), BoundedBuffer(limits.output_bytes)
    scan = {1: agent.EndScanner(nonce), 2: agent.EndScanner(nonce)}
    sink = {1: out, 2: err}
    flood = max(limits.output_bytes * FLOOD_FACTOR, 1024 * 1024)
    flooding = False
    if before_start is not None:
        try:
            before_start()
        except BaseException:
            sock.close()
            raw.close()
            raise
    timer.start()
    try:
        raw.sendall(line)
        state.started = True
        for stream, data in frames_iter(sock, tty=False):
            if stream in sink:
                sink[stream].add(scan[stream].feed(data))
            if scan[1].code is not None and scan[2].code is not None:
                break
            if out.total + err.total > flood and not flooding:
                # stop it from another thread and keep draining: with no log driver the
                # container cannot die while its output has nowhere to go
                flooding = True
                threading.Thread(target=state.stop, args=("output",), daemon=True).start()
    except Exception as exc:  # the connection broke because we killed the container
        if not state.reason:
            raise SandboxError(f"sandbox stream failed: {exc}", code="io") from exc
    finally:
        timer.cancel()
        for n in (1, 2):
            sink[n].add(scan[n].flush())
        try:
            sock.close()
            raw.close()
        except Exception:
            pass
    cpu1 = state.cpu_at_stop if state.reason else probe.cpu_seconds(api, cid, local=local)
    exit_code = scan[1].code if scan[1].code is not None else _exit_code(api, cid, state)
    if not state.reason and exit_code == 137:
        if (probe.counter(api, cid, "oom", local=local) or 0) > 0 or probe.oom_flag(api, cid):
            state.reason = "oom"
    result = ExecResult(exit_code=exit_code, stdout=out.text(), stderr=err.text(),
                        truncated=out.truncated or err.truncated, killed=state.reason)
    if collect and state.reason in ("", "oom") and scan[1].code is not None:
        result.files_out, result.refused = _collect(api, cid, collect, limits)
    elif collect:
        why = state.reason or "the sandbox ended early"
        result.refused = [f"{p}: not collected, the run was killed ({why})" for p in collect]
    result.duration_s = round(time.monotonic() - t0, 4)
    result.cpu_s = round(max(0.0, cpu1 - cpu0) if cpu1 is not None else result.duration_s * limits.cpus, 4)
    return result


def _on_timeout(api, cid: str, limits: Limits, state: RunState, local: bool) -> None:
    if state.reason:
        return
    hit = probe.counter(api, cid, "pids", local=local) if local else None
    if hit is None:
        hit = 1 if probe.pids_near_limit(api, cid, limits.pids) else 0
    state.stop("pids" if hit else "timeout")


def _exit_code(api, cid: str, state: RunState) -> int:
    """The container's exit code when the agent ended without its marker."""
    if state.reason:
        return 137
    try:
        return int(api.wait(cid, timeout=5)["StatusCode"])
    except Exception as exc:  # the engine went away mid-run: its outcome is unknown, say so
        raise SandboxError(f"the Docker engine went away during the run: {exc}", code="unavailable",
                           retryable=True) from exc


def _collect(api, cid: str, paths: list[str], limits: Limits) -> tuple[dict[str, bytes], list[str]]:
    """The files under ``paths`` in the container's work folder.  Each path comes back whole or is
    refused; when the run's files together exceed ``files_out_count`` or ``files_out_bytes``,
    none comes back at all (one notice says which limit), so the workspace never gets half a run."""
    try:
        return _collect_all(api, cid, paths, limits)
    except tarsafe.OverLimit as exc:
        what = (f"more than {limits.files_out_count} files (files_out_count)" if exc.kind == "count" else
                f"more than {limits.files_out_bytes} bytes in total (files_out_bytes)")
        return {}, [f"nothing collected: the run left {what} to bring back; collect fewer files "
                    f"or raise the limit in [sandbox] (docs/sandbox.md)"]


def _collect_all(api, cid: str, paths: list[str], limits: Limits) -> tuple[dict[str, bytes], list[str]]:
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
        got, bad = tarsafe.unpack(data, prefix=posixpath.dirname(rel), file_max=limits.file_out_bytes,
                                  total_max=budget, count_max=limits.files_out_count - len(files), whole=True)
        files.update(got)
        room = max(0, REFUSED_LINES - len(refused))
        refused.extend(bad[:room])
        if len(bad) > room:
            refused.append(f"{rel}: {len(bad) - room} more members refused (not listed)")
        budget -= sum(len(v) for v in got.values())
    return files, refused
