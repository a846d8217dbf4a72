"""The in-container agent (PID 1 of every sandbox container) and the host side of its protocol.

A warm container runs the agent, which waits for one job on its stdin.  The host
attaches, writes the job (argv, env, a nonce), and reads the program's stdout and
stderr straight from the container's streams: no `docker exec` (runc) per call.
When the program ends the agent SIGKILLs every other sandbox-user process, then
writes ``<nonce>:<exit code>`` on both streams and waits to be destroyed, so /work
stays readable for collecting files.  The program can forge nothing it does not
already control: its own output and exit status."""
from __future__ import annotations

import json
import secrets

# Runs as `python3 -I -c AGENT` with uid 1000.  PID 1 ignores SIGINT/SIGTERM so the
# program cannot end it early; the program itself gets default signal handling.
AGENT = r"""
import json, os, signal, subprocess, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
def child():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
line = sys.stdin.buffer.readline()
if not line:
    sys.exit(0)
job = json.loads(line)
env = dict(os.environ)
env.update(job.get("env") or {})
try:
    p = subprocess.Popen(job["argv"], cwd=job.get("cwd", "/work"), env=env, stdin=subprocess.DEVNULL,
                         stdout=1, stderr=2, preexec_fn=child)
    rc = p.wait()
except OSError as e:
    os.write(2, ("llmos: cannot run %r: %s\n" % (job["argv"][0], e.strerror)).encode())
    rc = 127
if rc < 0:
    rc = 128 - rc
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
tag = ("%s:%d\n" % (job["nonce"], rc)).encode()
os.write(1, tag)
os.write(2, tag)
while True:  # keep /work mounted until the host has collected files and destroys us
    signal.pause()
"""

COMMAND = ["python3", "-I", "-c", AGENT]


def job(argv: list[str], env: dict[str, str] | None, cwd: str) -> tuple[bytes, bytes]:
    """The job line to send, and the nonce its end marker starts with."""
    nonce = "llmos-end-" + secrets.token_hex(16)
    line = json.dumps({"argv": argv, "env": env or {}, "cwd": cwd, "nonce": nonce}) + "\n"
    return line.encode(), nonce.encode()


class EndScanner:
    """Splits one stream into program output and the agent's end marker.

    ``feed`` returns the bytes that are surely output; a tail that could be the start
    of the marker is held back until the next chunk."""

    def __init__(self, nonce: bytes):
        self.nonce = nonce
        self.held = b""
        self.code: int | None = None  # set once the marker and its newline arrived

    def feed(self, data: bytes) -> bytes:
        if self.code is not None:
            return b""
        buf = self.held + data
        i = buf.find(self.nonce)
        if i >= 0:
            rest = buf[i + len(self.nonce):]
            nl = rest.find(b"\n")
            if nl < 0:  # marker seen but its code not complete yet
                self.held = buf[i:]
                return buf[:i]
            try:
                self.code = int(rest[1:nl])
            except ValueError:
                self.code = -1
            self.held = b""
            return buf[:i]
        keep = len(self.nonce) - 1
        cut = max(0, len(buf) - keep)
        # hold back only a suffix that could begin the marker
        j = buf.find(self.nonce[:1], cut)
        cut = j if j >= 0 else len(buf)
        self.held = buf[cut:]
        return buf[:cut]

    def flush(self) -> bytes:
        """At end of stream with no marker: whatever was held back is output."""
        out, self.held = self.held, b""
        return out if self.code is None else b""
