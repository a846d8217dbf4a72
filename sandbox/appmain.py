"""Runs an isolated app's Python entry (in its own process or container) with the syscalls SDK over the kernel's socket.

Started as a script, never imported by the kernel: ``python3 appmain.py`` with the
environment ``LLMOS_SOCKET``, ``LLMOS_TOKEN``, ``LLMOS_PID``, ``LLMOS_APP``,
``LLMOS_TASK``, ``LLMOS_ENTRY`` (``module:function``) and ``LLMOS_APP_DIR``.  It needs
only the standard library and the ``syscalls`` package (with msgspec and anyio).
The entry's return value becomes the process's result through ``proc.exit``."""
from __future__ import annotations

import importlib
import os
import sys


def _as_package(folder: str) -> str:
    """The app's folder as the package ``llmos_app``, so its modules' relative imports work."""
    import importlib.util
    init = os.path.join(folder, "__init__.py")
    if os.path.isfile(init):
        spec = importlib.util.spec_from_file_location("llmos_app", init, submodule_search_locations=[folder])
    else:
        spec = importlib.util.spec_from_loader("llmos_app", loader=None, is_package=True)
        if spec is not None:
            spec.submodule_search_locations = [folder]
    if spec is None:
        raise ImportError(f"cannot load {folder} as a package")
    pkg = importlib.util.module_from_spec(spec)
    sys.modules["llmos_app"] = pkg
    if spec.loader is not None:
        spec.loader.exec_module(pkg)
    return "llmos_app"


def main() -> int:
    env = os.environ
    sys.path.insert(0, env["LLMOS_APP_DIR"])
    deps = os.path.join(env["LLMOS_APP_DIR"], ".deps")  # the app's private packages (llmos install)
    if os.path.isdir(deps):
        sys.path.append(deps)
    import anyio
    import msgspec

    from syscalls import Sys
    from syscalls.errors import SyscallError
    from syscalls.transport import SocketTransport

    module_name, func_name = env["LLMOS_ENTRY"].split(":")
    entry = getattr(importlib.import_module(f"{_as_package(env['LLMOS_APP_DIR'])}.{module_name}"), func_name)
    task = env.get("LLMOS_TASK", "")

    async def go() -> None:
        transport = SocketTransport(env["LLMOS_SOCKET"], env.get("LLMOS_TOKEN", ""))
        sys_ = Sys(transport, pid=int(env.get("LLMOS_PID", "0")), task=task, app=env.get("LLMOS_APP", ""))
        try:
            result = await entry(sys_, task)
            if result is None or isinstance(result, str):
                text = result or ""
            else:
                text = msgspec.json.encode(result).decode()
            await sys_.proc.exit(result=text, status=0)
        finally:
            await transport.aclose()

    try:
        anyio.run(go)
    except SyscallError as exc:  # an error the app did not handle: say it the way the kernel does
        print(f"llmos: app ended on a syscall error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
