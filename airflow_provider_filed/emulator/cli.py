"""``filed-emulator``: serve the emulator, print one JSON line describing it, stop on SIGTERM/SIGINT.

Importing this module needs only the provider's own dependencies: the serving machinery (the
``emulator`` extra: ariadne, graphql-core, Starlette, uvicorn) is imported when ``main`` serves, so
without the extra the command says what is missing instead of failing with a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from airflow_provider_filed.emulator.config import EmulatorConfig

EXTRA_MISSING_EXIT_CODE = 2
INSTALL_EXTRA = 'pip install "airflow-provider-filed[emulator]"'

_CONFIG_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("--latency-ms", float, "fixed delay added to every request"),
    ("--jitter-ms", float, "extra random delay in [0, jitter]"),
    ("--error-rate", float, "share of requests answered 500/502/503, not applied"),
    ("--rate-limit-rate", float, "share of requests answered 429, not applied"),
    ("--retry-after-s", float, "Retry-After of a 429 (seconds)"),
    ("--commit-then-fail-rate", float, "share of mutations applied, then failed"),
    ("--commit-then-fail-mode", str, "'status' (5xx) or 'drop' (cut connection)"),
    ("--token-ttl-s", float, "access token lifetime (seconds)"),
    ("--processing-time-s", float, "trigger-to-terminal time; negative: never finish"),
    ("--artifact-failure-pattern", str, "regex: artifact urls matching it end in error"),
    ("--artifact-terminated-pattern", str, "regex: artifact urls matching it end terminated (cancelled)"),
    ("--max-inputs-per-request", int, "most inputs per create request"),
    ("--default-limit", int, "page size when 'limit' is omitted"),
    ("--max-limit", int, "larger limits are clamped to this"),
    ("--page-cap", int, "silent cap on every page, whatever 'limit' asked"),
    ("--status-case", str, "case of returned statuses: lower, upper or title"),
    ("--seed", int, "seed of the fault dice"),
)

_SWITCHES: tuple[tuple[str, str, bool, str], ...] = (
    ("--lenient-duplicates", "lenient_duplicates", True, "accept a reused externalId (no CONFLICT)"),
    ("--no-sort-by-argument", "sort_by_argument", False, "serve a schema without the sortBy argument"),
    ("--no-fast-path", "fast_path", False, "run every request with graphql-core's executor"),
    ("--latency-covers-work", "latency_covers_work", True, "do each request's work within its delay, not after"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="filed-emulator", description="A local emulator of the Filed gateway API.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free port (default)")
    parser.add_argument(
        "--api-key", dest="api_keys", action="append", help="API key of the seeded partner (repeatable)"
    )
    parser.add_argument(
        "--fault-operation",
        dest="fault_operations",
        action="append",
        help="restrict faults to this root field or operation name (repeatable)",
    )
    for flag, kind, text in _CONFIG_FLAGS:
        parser.add_argument(flag, type=kind, default=None, help=text)
    for flag, field, value, text in _SWITCHES:
        parser.add_argument(flag, dest=field, action="store_const", const=value, default=None, help=text)
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """An EmulatorConfig from the flags actually given; the rest keep their defaults."""
    names = [flag[2:].replace("-", "_") for flag, _, _ in _CONFIG_FLAGS] + ["fault_operations"]
    names += [field for _, field, _, _ in _SWITCHES]
    given: dict[str, Any] = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    return EmulatorConfig(**given)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``filed-emulator`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValidationError as error:
        parser.error(str(error))
    try:
        from airflow_provider_filed.emulator.app import create_app
        from airflow_provider_filed.emulator.server import serve
    except ModuleNotFoundError as missing:
        if (missing.name or "").startswith("airflow_provider_filed"):
            raise
        sys.stderr.write(
            f"filed-emulator: the Python package {missing.name!r} is not installed; the emulator needs the "
            f"'emulator' extra: {INSTALL_EXTRA}\n"
        )
        return EXTRA_MISSING_EXIT_CODE
    asyncio.run(serve(create_app(api_keys=args.api_keys, config=config), args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
