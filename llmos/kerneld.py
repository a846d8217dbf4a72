"""``python -m llmos.kerneld``: the kernel daemon's entry point, the process ``llmos boot`` detaches."""
import argparse
import sys

from .commands.daemon import add_parser, main

if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="llmos daemon")
    add_parser(ap.add_subparsers(dest="cmd", required=True))
    raise SystemExit(main(ap.parse_args(["daemon", *sys.argv[1:]])))
