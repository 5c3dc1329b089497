"""Write (or ``--check``) ``constraints/constraints.txt``: every locked version from ``uv.lock``, for pip.

A deployment installs Airflow, the CeleryExecutor and this provider with
``pip install -c constraints/constraints.txt ...`` (``make celery-demo``, ``docker/Dockerfile``) and so gets
exactly the versions ``make test`` ran with. One file serves every supported Python: the lock is universal and
``uv export`` keeps its environment markers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO / "constraints" / "constraints.txt"
HEADER = """\
# Generated from uv.lock by `make constraints` (scripts/constraints.py); do not edit.
# pip install -c constraints/constraints.txt "apache-airflow[celery,postgres]==<locked>" <this provider>
# Covers Python >= 3.10 (environment markers); `make test` checks it matches uv.lock.
"""


def uv() -> list[str]:
    """The uv command: on PATH, else the module installed into this Python."""
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def render() -> str:
    """The constraints file's text for the current ``uv.lock`` (every group and extra, no hashes)."""
    exported = subprocess.run(
        [
            *uv(),
            "export",
            "--frozen",
            "--all-groups",
            "--all-extras",
            "--no-hashes",
            "--no-emit-project",
            "--no-annotate",
            "--no-header",
            "--format",
            "requirements-txt",
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    ).stdout
    return HEADER + exported


def locked_version(package: str) -> str:
    """The version ``constraints.txt`` pins for ``package`` (one without a marker)."""
    for line in CONSTRAINTS.read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip() == package and ";" not in version:
            return version.strip()
    raise LookupError(f"{package} is not pinned in {CONSTRAINTS}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is not what uv.lock gives")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not CONSTRAINTS.exists() or CONSTRAINTS.read_text() != text:
            print(f"{CONSTRAINTS.relative_to(REPO)} is out of date with uv.lock: run `make constraints`")
            return 1
        return 0
    CONSTRAINTS.parent.mkdir(exist_ok=True)
    CONSTRAINTS.write_text(text)
    print(f"wrote {CONSTRAINTS.relative_to(REPO)} ({text.count(chr(10)) - HEADER.count(chr(10))} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
