"""The package as published: one version, LICENSE and py.typed in the wheel, metadata twine accepts, pins in sync."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import airflow_provider_filed
from airflow_provider_filed.emulator.cli import EXTRA_MISSING_EXIT_CODE, INSTALL_EXTRA

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO / "constraints" / "constraints.txt"


def _locked(package: str) -> str:
    for line in CONSTRAINTS.read_text().splitlines():
        if line.startswith(f"{package}==") and ";" not in line:
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} not pinned in {CONSTRAINTS}")


def test_version_is_defined_once() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert re.search(r'^dynamic = \[.*"version"', pyproject, re.M)
    assert not re.search(r"^version\s*=", pyproject, re.M)
    assert importlib.metadata.version("airflow-provider-filed") == airflow_provider_filed.__version__


def test_license_and_typing_marker_are_in_the_source() -> None:
    assert "Apache License" in (REPO / "LICENSE").read_text()
    assert (REPO / "airflow_provider_filed" / "py.typed").exists()


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv (make test has it)")
def test_constraints_match_the_lock() -> None:
    check = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "constraints.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_images_build_on_the_locked_airflow() -> None:
    """docker-compose.yaml and docker/Dockerfile name the Airflow version the lock pins."""
    airflow = _locked("apache-airflow")
    compose = (REPO / "docker-compose.yaml").read_text()
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert f'AIRFLOW_VERSION: "{airflow}"' in compose
    assert f"apache/airflow:{airflow}" in compose
    assert f"ARG AIRFLOW_VERSION={airflow}" in dockerfile
    assert "-c /opt/airflow-provider-filed/constraints/constraints.txt" in dockerfile
    assert compose.count("build:") == 1, "the image is built once, by one service"


@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv (make test has it)")
def test_wheel_holds_license_and_py_typed_and_passes_twine(tmp_path: Path) -> None:
    pytest.importorskip("twine")
    subprocess.run(["uv", "build", "--quiet", "--out-dir", str(tmp_path)], cwd=REPO, check=True)
    wheel = next(tmp_path.glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "airflow_provider_filed/py.typed" in names
    assert "Typing :: Typed" in metadata
    assert "Programming Language :: Python :: 3.13" in metadata
    # PyPI renders README.md: relative links there must have become absolute ones.
    assert not re.search(r"\]\((?!https?://|#|mailto:)", metadata)
    dists = [str(path) for pattern in ("*.whl", "*.tar.gz") for path in tmp_path.glob(pattern)]
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *dists],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_emulator_without_its_extra_says_what_to_install() -> None:
    """``filed-emulator`` with the emulator extra missing: one line naming the pip command, exit 2."""
    code = (
        "import sys\n"
        "for name in ('starlette', 'ariadne', 'uvicorn', 'graphql'):\n"
        "    sys.modules[name] = None\n"
        "from airflow_provider_filed.emulator.cli import main\n"
        "sys.exit(main(['--port', '0']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == EXTRA_MISSING_EXIT_CODE
    assert INSTALL_EXTRA in result.stderr
    assert "Traceback" not in result.stderr
