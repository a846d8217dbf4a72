"""`python -m sandbox build|copy|status|reap`: build the image (or copy it to another engine), show the engine,
remove leftover containers."""
from __future__ import annotations

import argparse
import sys

from .errors import SandboxError


def main(argv: list[str] | None = None, prog: str = "python -m sandbox") -> int:
    ap = argparse.ArgumentParser(prog=prog, description=__doc__)
    ap.add_argument("--engine", metavar="URL", help="the Docker engine (default: $DOCKER_HOST, else the local socket)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the sandbox image if its recipe changed")
    b.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    b.add_argument("--quiet", action="store_true")
    b.add_argument("--strict", action="store_true",
                   help="exit 1 when the image cannot be built (default: say why, exit 0)")
    c = sub.add_parser("copy", help="load the sandbox image into another Docker engine (never a registry)")
    c.add_argument("--to", required=True, metavar="URL", help="the engine to load it into, e.g. tcp://10.0.0.5:2375")
    c.add_argument("--from", dest="src", metavar="URL", help="the engine that has it (default: $DOCKER_HOST or local)")
    sub.add_parser("status", help="engine and image state")
    r = sub.add_parser("reap", help="remove containers left by kernels that are gone")
    r.add_argument("--all", action="store_true",
                   help="remove every llmos container, even those of running kernels")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "build":
            from .image import build_image

            tag = build_image(progress=not args.quiet, force=args.force, base_url=args.engine)
            print(tag)
        elif args.cmd == "copy":
            from .image import copy_image

            print(copy_image(args.to, from_url=args.src or args.engine, progress=True))
        elif args.cmd == "status":
            from .engine import connect
            from .image import image_exists
            from .recipe import image_tag

            client = connect(args.engine)
            v = client.version()
            print(f"engine: Docker {v.get('Version')} (API {v.get('ApiVersion')})")
            tag = image_tag()
            print(f"image:  {tag} {'present' if image_exists(client, tag) else 'MISSING: run python -m sandbox build'}")
        elif args.cmd == "reap":
            import anyio

            from .box import Sandbox

            async def reap() -> int:
                sb = Sandbox(base_url=args.engine, pool_size=0, kernel_id="reaper")
                try:
                    return await sb.reap_orphans(everything=args.all)
                finally:
                    await sb.close()

            print(f"removed {anyio.run(reap)} container(s)")
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        if args.cmd == "build" and not args.strict and exc.code == "unavailable":
            return 0  # llmos works without a sandbox; the message says how to get one
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
