"""The emulator for the benchmarks, in its own process: ``run_emulator`` served until stdin closes or SIGTERM.

Takes the same flags as ``filed-emulator`` and prints the same JSON line once serving. It goes through
``airflow_provider_filed.emulator.testing.run_emulator`` (``uvicorn.Server.run``, uvloop when
installed); ``run.py --emulator cli`` uses the stock CLI instead.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from types import FrameType

from airflow_provider_filed.emulator.cli import build_parser, config_from_args
from airflow_provider_filed.emulator.testing import run_emulator


def main() -> int:
    args = build_parser().parse_args()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with run_emulator(api_keys=args.api_keys, config=config_from_args(args), host=args.host) as handle:
        sys.stdout.write(json.dumps(handle.describe()) + "\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
