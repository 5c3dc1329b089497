"""The deployment's own virtualenv: Airflow with the CeleryExecutor and this provider, installed by pip.

Installed the way a deployment would install it: ``python -m venv`` and ``pip install -c
constraints/constraints.txt "apache-airflow[celery,postgres]==<locked>" <provider wheel>``. Kept between
runs while the constraints are unchanged; the provider is reinstalled from the checkout every time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from celery_stack.processes import run_logged

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "constraints" / "constraints.txt"
AIRFLOW_EXTRAS = "celery,postgres"


def locked_airflow_version() -> str:
    """The ``apache-airflow`` version pinned by the constraints file."""
    for line in CONSTRAINTS.read_text().splitlines():
        if line.startswith("apache-airflow=="):
            return line.split("==", 1)[1].split(";")[0].strip()
    raise SystemExit(f"apache-airflow is not pinned in {CONSTRAINTS}: run `make constraints`")


def base_python() -> str:
    """The interpreter to build the venv from: the one under ``uv run``'s venv, not the venv itself."""
    return getattr(sys, "_base_executable", None) or sys.executable


def pip_env() -> dict[str, str]:
    """pip without its version check; no inherited constraint or virtualenv variables."""
    env = {k: v for k, v in os.environ.items() if k not in {"PIP_CONSTRAINT", "VIRTUAL_ENV", "PYTHONPATH"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


class Deployment:
    """A venv under ``root`` holding Airflow (CeleryExecutor, Postgres) and the provider."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.venv = root / "venv"
        self.bin = self.venv / "bin"
        self.stamp = self.venv / ".constraints-sha256"

    def tool(self, name: str) -> str:
        return str(self.bin / name)

    def ensure(self, log: Path, say: Callable[[str], None] = print) -> None:
        """Create the venv when the constraints changed; (re)install the provider from this checkout."""
        wanted = hashlib.sha256(CONSTRAINTS.read_bytes() + base_python().encode()).hexdigest()
        python = self.tool("python")
        if self.stamp.exists() and self.stamp.read_text() == wanted:
            say("installing the provider from this checkout into the deployment venv (pip)")
            pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(REPO)]
            run_logged(pip, log, env=pip_env())
            return
        shutil.rmtree(self.venv, ignore_errors=True)
        airflow = f"apache-airflow[{AIRFLOW_EXTRAS}]=={locked_airflow_version()}"
        say(f"pip install {airflow} and the provider into {self.venv.relative_to(REPO)}/ (~2 min, once)")
        run_logged([base_python(), "-m", "venv", str(self.venv)], log)
        run_logged(
            [python, "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS), airflow, str(REPO)], log, env=pip_env()
        )
        self.stamp.write_text(wanted)

    def versions(self) -> dict[str, str]:
        """Versions of what matters in the venv, for the report."""
        code = (
            "import sys; from importlib.metadata import version as v; "
            "print(sys.version.split()[0]); "
            "[print(v(p)) for p in ('apache-airflow', 'apache-airflow-providers-celery', 'celery', "
            "'airflow-provider-filed')]"
        )
        out = subprocess.run([self.tool("python"), "-c", code], capture_output=True, text=True, check=True).stdout
        names = ["python", "apache-airflow", "apache-airflow-providers-celery", "celery", "airflow-provider-filed"]
        return dict(zip(names, out.split(), strict=False))
