"""``llmos apps [show NAME]``, ``llmos install``, ``llmos uninstall`` and ``llmos new``."""
from __future__ import annotations

import argparse
import sys

from apps import AppRegistry, ManifestError
from apps.installer import Installer, InstallError, describe
from apps.registry import BUNDLED
from apps.scaffold import ScaffoldError, scaffold
from kernel import default_home

from ..textsafe import printable


def _err(msg: str) -> int:
    print(f"llmos: {msg}", file=sys.stderr)
    return 1


def _installer(args: argparse.Namespace) -> Installer:
    opts: list[str] = []
    if getattr(args, "no_index", False):
        opts.append("--no-index")
    for link in getattr(args, "find_links", None) or []:
        opts += ["--find-links", link]
    return Installer(default_home(), pip_options=opts)


def remote_apps(args: argparse.Namespace) -> int:
    """``llmos --kernel HOST:PORT apps``: the apps that kernel can run, as it lists them."""
    if args.action == "show":
        return _err("`apps show` reads an app's folder on the kernel's machine; over --kernel, `apps` lists them")
    from ..client import Client
    from .procs import _run

    async def go():
        async with Client() as c:
            return await c.apps()
    for a in _run(go):
        print(f"{printable(a.name):<14} {printable(a.version):<8} {printable(a.description)}")
    return 0


def cmd_apps(args: argparse.Namespace) -> int:
    from ..remote import target
    if target() is not None:
        return remote_apps(args)
    reg = AppRegistry(installed_dir=default_home() / "apps")
    found = reg.all()
    installed = Installer(default_home()).installed()
    if args.action == "show":
        if not args.name:
            return _err("usage: llmos apps show NAME")
        m = found.get(args.name)
        if m is None:
            return _err(reg.not_found(args.name))
        rec = installed.get(m.name)
        origin = "bundled" if m.path.startswith(str(BUNDLED)) else (f"installed from {rec.source}" if rec else m.path)
        if rec is not None:
            origin += ", trusted (--trust)" if m.trusted else ", not trusted"
        print(f"{m.name} {m.version}  ({printable(origin)})")
        if m.description:
            print(f"  {printable(m.description)}")
        print(f"  entry: {m.entry}    priority: {m.priority}    sha256: {m.digest[:16]}")
        print("permissions:")
        print("\n".join(describe(m)))
        return 0
    for name, m in sorted(found.items()):
        tag = "installed" if name in installed else ("bundled" if m.path.startswith(str(BUNDLED)) else "package")
        print(f"{name:<14} {printable(m.version):<8} {tag:<9} {printable(m.description)}")
    for err in reg.errors:
        print(f"warning: {err}", file=sys.stderr)
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    try:
        m, rec = _installer(args).install(args.source, upgrade=args.upgrade, trust=args.trust)
    except (InstallError, ManifestError) as exc:
        return _err(f"install failed: {exc}")
    verb = f"upgraded from {rec.replaced} to" if rec.replaced else "installed"
    print(f"{verb} {m.name} {m.version} (sha256 {rec.digest[:16]}) into {rec.folder}")
    print("it asks for these permissions:")
    print("\n".join(describe(m)))
    return 0


def cmd_uninstall(args: argparse.Namespace) -> int:
    try:
        rec = Installer(default_home()).uninstall(args.name)
    except InstallError as exc:
        return _err(str(exc))
    print(f"uninstalled {rec.name} {rec.version}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    try:
        folder = scaffold(args.name, args.dir)
    except (ScaffoldError, ManifestError) as exc:
        return _err(str(exc))
    print(f"created {folder}/ (app.toml, main.py, test_app.py)")
    print(f"  try it:   llmos install {folder} && llmos run {args.name} 'Say hello'")
    print(f"  test it:  python -m pytest {folder}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    ap = sub.add_parser("apps", help="list the apps that can run, or show one with its permissions")
    ap.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    ap.add_argument("name", nargs="?", help="the app to show")
    ap.set_defaults(func=cmd_apps)
    ins = sub.add_parser("install", help="install an app from a folder, a wheel or a pip package name")
    ins.add_argument("source", help="a folder with app.toml, a .whl file, or a pip requirement")
    ins.add_argument("--upgrade", "-U", action="store_true", help="replace an installed app of the same name")
    ins.add_argument("--find-links", action="append", metavar="DIR", help="look for wheels in DIR (pip)")
    ins.add_argument("--no-index", action="store_true", help="do not use a package index (pip)")
    ins.add_argument("--trust", action="store_true",
                     help="let its code run inside the kernel; without it, it runs isolated (a container, "
                          "or a jailed process under its own uid)")
    ins.set_defaults(func=cmd_install)
    un = sub.add_parser("uninstall", help="remove an installed app")
    un.add_argument("name")
    un.set_defaults(func=cmd_uninstall)
    new = sub.add_parser("new", help="scaffold a new app folder with a test")
    new.add_argument("name")
    new.add_argument("--dir", default=".", help="where to create it (default: here)")
    new.set_defaults(func=cmd_new)
