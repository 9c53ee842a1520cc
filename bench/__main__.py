"""Run every benchmark and print its figures: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bench import root
from gateway import config as config_mod

BENCHMARKS = {"root": root.main}


def main() -> None:
    """Run the named benchmarks (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one of {', '.join(BENCHMARKS)}")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    config = config_mod.load(Path(__file__).resolve().parents[1] / "config" / "gateway.toml")
    for name in args.names or BENCHMARKS:
        asyncio.run(BENCHMARKS[name](config, args.requests, args.concurrency))


main()
