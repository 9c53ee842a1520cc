"""Run benchmarks and print their figures: ``python -m bench [NAME ...]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path

from bench import avalon_upload, azure_upload, fanout, root
from gateway.config import loading as config_mod

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "gateway.toml"


def _root(args: argparse.Namespace) -> None:
    config = config_mod.load(DEFAULT_CONFIG)
    asyncio.run(root.main(config, args.requests, args.concurrency))


def _fanout(args: argparse.Namespace) -> None:
    config = config_mod.load(DEFAULT_CONFIG)
    asyncio.run(fanout.main(config))


def _avalon_upload(args: argparse.Namespace) -> None:
    asyncio.run(avalon_upload.main(args.size_mib or 200))


def _azure_upload(args: argparse.Namespace) -> None:
    asyncio.run(azure_upload.main(args.size_mib or 500))


BENCHMARKS: dict[str, Callable[[argparse.Namespace], None]] = {
    "root": _root,
    "fanout": _fanout,
    "avalon-upload": _avalon_upload,
    "azure-upload": _azure_upload,
}


def main() -> None:
    """Run the named benchmarks (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    parser.add_argument("--requests", type=int, default=2000, help="root: GETs per document")
    parser.add_argument("--concurrency", type=int, default=16, help="root: GETs in flight")
    parser.add_argument(
        "--size-mib", type=int, help="uploads: file size (avalon-upload 200, azure-upload 500)"
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    for name in args.names or BENCHMARKS:
        BENCHMARKS[name](args)


main()
