"""The in-container agent (PID 1 of every sandbox container) and the host side of its protocol.

A warm container runs the agent, which waits for one job on its stdin.  The host
attaches, writes the job (argv, env, a nonce), and reads the program's stdout and
stderr straight from the container's streams: no `docker exec` (runc) per call.
When the program ends the agent SIGKILLs every other sandbox-user process, then
writes ``<nonce>:<exit code>`` on both streams and waits to be destroyed, so /work
stays readable for collecting files.  The nonce keeps a program's output from being
taken for the marker by accident; a program that digs it out of memory and forges the
marker only ends its own run early with an exit code of its choice, which it could do
anyway.  ``python`` jobs run in a fork of the agent (the interpreter is already up);
everything else, and app containers, is started with Popen.

The agent starts as uid 0 with only the capabilities to change uid and to kill
(sandbox/policy.py), and every program runs as uid 1000 with none: a different uid
from PID 1, so the code cannot ptrace the agent, read or write its memory through
/proc/1, or signal it."""
from __future__ import annotations

import json
import secrets

from . import recipe

# Runs as `python3 -I -c AGENT` with uid 0 and CAP_SETUID, CAP_SETGID, CAP_KILL only.  PID 1
# ignores SIGINT/SIGTERM so the program cannot end it early; the program itself gets default
# signal handling and runs as uid 1000 with no capabilities (drop(): no way back).
AGENT = r"""
import json, os, signal, subprocess, sys
UID = @UID@
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
def drop():
    os.setgroups([])
    os.setresgid(UID, UID, UID)
    os.setresuid(UID, UID, UID)  # from uid 0 to another: every capability is gone with it
    if os.getresuid() != (UID, UID, UID):
        os._exit(126)
def child():
    drop()
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
def python_in_fork(argv, env, cwd):
    # what `python3 -c CODE` / `python3 FILE` would do, minus the interpreter's start-up
    import io, traceback, types
    rc = 1
    try:
        child()
    except BaseException:
        os._exit(126)  # never run the code as the agent's uid
    globals().pop("nonce", None)
    try:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
        sys.stdin = open(0, closefd=False)
        for n, name in ((1, "stdout"), (2, "stderr")):  # unbuffered, as PYTHONUNBUFFERED asks
            setattr(sys, name, io.TextIOWrapper(io.FileIO(n, "w", closefd=False), encoding="utf-8",
                    errors="surrogateescape" if n == 1 else "backslashreplace", write_through=True))
        sys.dont_write_bytecode = True
        if argv[1] == "-c":
            source, filename, sys.argv, sys.path[0:0] = argv[2], "<string>", ["-c"], [""]
        else:
            filename = argv[1]
            with open(filename, "rb") as f:
                source = f.read()
            sys.argv, sys.path[0:0] = [filename], [os.path.dirname(filename)]
        main = types.ModuleType("__main__")
        main.__file__ = filename if filename != "<string>" else None
        sys.modules["__main__"] = main
        try:
            exec(compile(source, filename, "exec"), main.__dict__)
            rc = 0
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                rc = e.code or 0
            else:
                print(e.code, file=sys.stderr)
        except BaseException as e:
            traceback.print_exception(type(e), e, e.__traceback__.tb_next)  # not the agent's frame
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(rc & 0xFF)
line = sys.stdin.buffer.readline()
if not line:
    sys.exit(0)
job = json.loads(line)
env = dict(os.environ)
env.update(job.get("env") or {})
argv, cwd = job["argv"], job.get("cwd", "/work")
if job.get("fork"):
    nonce = job["nonce"]
    del line, job
    pid = os.fork()
    if pid == 0:
        python_in_fork(argv, env, cwd)
    rc = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
else:
    nonce = job["nonce"]
    def start():
        child()  # as uid 1000 first, then into its folder (uid 0 without CAP_DAC_* may not enter it)
        os.chdir(cwd)
    try:
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=1, stderr=2, preexec_fn=start)
        rc = p.wait()
    except (OSError, subprocess.SubprocessError) as e:
        os.write(2, ("llmos: cannot run %r: %s\n" % (argv[0], getattr(e, "strerror", None) or e)).encode())
        rc = 127
if rc < 0:
    rc = 128 - rc
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
tag = ("%s:%d\n" % (nonce, rc)).encode()
os.write(1, tag)
os.write(2, tag)
while True:  # keep /work mounted until the host has collected files and destroys us
    signal.pause()
"""

AGENT = AGENT.replace("@UID@", str(recipe.UID))
COMMAND = ["python3", "-I", "-c", AGENT]


def job(argv: list[str], env: dict[str, str] | None, cwd: str, *, fork: bool = False) -> tuple[bytes, bytes]:
    """The job line to send, and the nonce its end marker starts with.  With ``fork`` the agent
    runs ``python3 -c CODE`` / ``python3 FILE`` in a fork of itself, saving the interpreter's start."""
    nonce = "llmos-end-" + secrets.token_hex(16)
    line = json.dumps({"argv": argv, "env": env or {}, "cwd": cwd, "nonce": nonce, "fork": fork}) + "\n"
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
