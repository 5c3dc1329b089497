"""``filed-emulator``: serve the emulator, print one JSON line describing it, stop on SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from airflow_provider_filed.emulator.app import EmulatorApp, create_app
from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.server import base_url, bind_socket, make_server

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


def startup_line(app: EmulatorApp, root: str) -> str:
    """The single JSON line printed once the emulator is serving."""
    seed = app.seed
    return json.dumps(
        {
            "url": f"{root}/graphql",
            "base_url": root,
            "api_key": seed.api_keys[0],
            "api_keys": list(seed.api_keys),
            "workspace_id": seed.workspace_id,
            "workspace_slug": seed.workspace_slug,
            "connection_id": seed.connection_id,
        }
    )


async def _serve(app: EmulatorApp, host: str, port: int) -> None:
    sock = bind_socket(host, port)
    server = make_server(app)
    for sig in (signal.SIGINT, signal.SIGTERM):
        # uvicorn swaps in its own handlers while serving and re-raises the signal on exit: land it here.
        signal.signal(sig, lambda *_: None)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        sys.stdout.write(startup_line(app, base_url(sock)) + "\n")
        sys.stdout.flush()
    try:
        await serving
    finally:
        sock.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``filed-emulator`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValidationError as error:
        parser.error(str(error))
    app = create_app(api_keys=args.api_keys, config=config)
    asyncio.run(_serve(app, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
