"""``llmos exec --isolation container``: the program runs in a sandbox container with no network; its only way
out is the kernel's API, through a loopback forwarder inside the container to the sandbox's kernel channel
(a Unix socket in the container relayed over the Docker API to the API's socket here; nothing is mounted)."""
from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from kernel.proc import budget
from syscalls.errors import InvalidArgument, Unavailable

if TYPE_CHECKING:
    from kernel.kernel import Kernel
    from kernel.proc.process import Process

PORT = 8470  # where the program finds the API inside its container: http://127.0.0.1:8470/v1
FILES_MAX = 16 * 1024 * 1024
FORWARDER = '''"""Forward 127.0.0.1:PORT to the kernel's API socket, then run the program; its exit code is ours."""
import os, socket, subprocess, sys, threading

def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    finally:
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

def serve(listener):
    while True:
        conn, _ = listener.accept()
        up = socket.socket(socket.AF_UNIX)
        try:
            up.connect(os.environ["LLMOS_SOCKET"])
        except OSError:
            conn.close()
            continue
        threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(64)
threading.Thread(target=serve, args=(listener,), daemon=True).start()
sys.exit(subprocess.call(sys.argv[2:], cwd="/work"))
'''


def program_files(argv: list[str], cwd: str) -> tuple[list[str], dict[str, bytes]]:
    """Arguments naming regular files (a script, its input) are copied into /work and point there."""
    files: dict[str, bytes] = {}
    out, total = [], 0
    for arg in argv:
        path = Path(cwd or ".", arg)
        if arg and not arg.startswith("-") and path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            total += len(data)
            if total > FILES_MAX:
                raise InvalidArgument(f"files named on the command line exceed {FILES_MAX} bytes")
            name = f"args/{len(files)}/{path.name}"
            files[name] = data
            out.append(f"/work/{name}")
        else:
            out.append(arg)
    return out, files


async def run(k: "Kernel", proc: "Process", program: Any, key: str, line: Any) -> int:
    """Run ``program`` in a container for ``proc``; its output goes to ``line(stream, raw)`` once it ends
    (a container's output is collected whole)."""
    sb = k.sandbox
    if sb is None:
        raise Unavailable("--isolation container needs the sandbox (a Docker engine; `llmos sandbox build`)")
    from kernel.api.openai.app import OpenAIApp
    from kernel.api.openai.server import HttpServer
    # AF_UNIX paths are short; mkdtemp's folder is 0700: only the kernel's user (the sandbox's channel) connects
    folder = Path(tempfile.mkdtemp(prefix=f"llmos-api-{proc.pid}-"))
    path = str(folder / "api.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(64)
        listener.setblocking(False)
        argv, files = program_files(program.argv, program.cwd)
        files[".llmos/forward.py"] = FORWARDER.encode()
        url = f"http://127.0.0.1:{PORT}/v1"
        env = {"OPENAI_BASE_URL": url, "OPENAI_API_BASE": url, "OPENAI_API_KEY": key, "LLMOS_BASE_URL": url,
               "LLMOS_API_KEY": key, "LLMOS_PID": str(proc.pid), "LLMOS_APP": proc.app, "HOME": "/work"}
        if k.api_calls is None:
            raise Unavailable("this kernel serves no OpenAI API for the program to call (the openai_api subsystem)")
        server = HttpServer(OpenAIApp(k, k.api_calls, max_body=k.config.api_max_body).asgi, listener, url=url)
        wall = budget.remaining(proc).get("wall_seconds")
        async with anyio.create_task_group() as tg:
            await tg.start(server.serve)
            try:
                r = await sb.run_app(str(proc.pid), ["python3", "/work/.llmos/forward.py", str(PORT), *argv], path,
                                     env=env, files=files, timeout=max(1.0, wall) if wall else None)
            finally:
                server.stop()
        proc.usage.sandbox_cpu_seconds += r.cpu_s
        for stream, text in (("stdout", r.stdout), ("stderr", r.stderr)):
            for raw in text.splitlines():
                line(stream, raw.encode())
        if r.killed:
            line("stderr", f"llmos: the container was killed ({r.killed})".encode())
        return int(r.exit_code)
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
