"""Run benchmarks and print their figures: ``python -m bench [NAME ...]``.

Without a name, every benchmark but ``profile`` runs; each prints its figures as it
goes, and the run ends with one table of the performance goals (:mod:`bench.goals`)
the benchmarks measured, each with its ratio, its target and PASS or FAIL.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path

from bench import (
    avalon_upload,
    azure_upload,
    fanout,
    goals,
    hotpath,
    instructions,
    memory,
    proxy,
    root,
)
from bench._reference import event_loop
from gateway.config import loading as config_mod

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "gateway.toml"

Benchmark = Callable[[argparse.Namespace], list[goals.Row]]


def _embedded() -> config_mod.GatewayConfig:
    """The embedded config, rate limits off: one caller makes every request."""
    config = config_mod.load(DEFAULT_CONFIG)
    return dataclasses.replace(
        config, server=dataclasses.replace(config.server, rate_limit_per_s=0.0)
    )


def _root(args: argparse.Namespace) -> list[goals.Row]:
    config = _embedded()
    asyncio.run(root.main(config, args.requests, args.concurrency))
    return []


def _fanout(args: argparse.Namespace) -> list[goals.Row]:
    config = _embedded()
    return asyncio.run(fanout.main(config)).rows()


def _avalon_upload(args: argparse.Namespace) -> list[goals.Row]:
    asyncio.run(avalon_upload.main(args.size_mib or 200))
    return []


def _azure_upload(args: argparse.Namespace) -> list[goals.Row]:
    return asyncio.run(azure_upload.main(args.size_mib or 1024)).rows()


def _proxy(args: argparse.Namespace) -> list[goals.Row]:
    return proxy.main()


def _memory(args: argparse.Namespace) -> list[goals.Row]:
    return memory.main()


def _instructions(args: argparse.Namespace) -> list[goals.Row]:
    instructions.main()
    return []


def _profile(args: argparse.Namespace) -> list[goals.Row]:
    hotpath.run(args.profile_out or hotpath.DEFAULT_OUT)
    return []


BENCHMARKS: dict[str, Benchmark] = {
    "proxy": _proxy,
    "memory": _memory,
    "fanout": _fanout,
    "azure-upload": _azure_upload,
    "avalon-upload": _avalon_upload,
    "root": _root,
    "profile": _profile,
    "instructions": _instructions,
}
ON_REQUEST = frozenset({"profile", "instructions"})
"""Run only when named: a profiled gateway's figures are not comparable, and counting
instructions under valgrind takes minutes."""


def main() -> None:
    """Run the named benchmarks (all but ``profile`` by default), then the goals table."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    parser.add_argument("--requests", type=int, default=2000, help="root: GETs per document")
    parser.add_argument("--concurrency", type=int, default=16, help="root: GETs in flight")
    parser.add_argument(
        "--size-mib", type=int, help="uploads: file size (avalon-upload 200, azure-upload 1024)"
    )
    parser.add_argument(
        "--profile-out", type=Path, help=f"profile: statistics file ({hotpath.DEFAULT_OUT})"
    )
    args = parser.parse_args()
    unknown = set(args.names) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark: {', '.join(sorted(unknown))}")
    rows: list[goals.Row] = []
    for name in args.names or [n for n in BENCHMARKS if n not in ON_REQUEST]:
        rows += BENCHMARKS[name](args)
        print(flush=True)
    if rows:
        loop = event_loop()
        print(
            goals.table(
                rows,
                "Performance goals: ratios within this run on this machine "
                f"(references on {loop}"
                + ("" if loop == "uvloop" else ": uvloop is not installed")
                + ")",
            )
        )


main()
