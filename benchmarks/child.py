"""Entry point of a fresh benchmark process: ``python -m benchmarks.child <module>:<function>``.

Reads the keyword arguments as JSON on stdin, calls ``benchmarks.<module>.<function>(**kwargs)`` and prints
``{"result": ...}`` as the last line of stdout, then leaves without interpreter teardown (pooled
connections, Airflow's atexit hooks) so a measurement never waits on it.
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def main() -> None:
    module, function = sys.argv[1].split(":")
    kwargs = json.loads(sys.stdin.read() or "{}")
    result = getattr(importlib.import_module(f"benchmarks.{module}"), function)(**kwargs)
    sys.stdout.write("\n" + json.dumps({"result": result}) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
