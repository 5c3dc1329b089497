"""``make test-compat``: the test suite on the oldest supported Airflow and on the newest Python.

Each target is a virtualenv made with ``python -m venv`` and filled by ``pip`` the way a user installs
(the wheel ``uv build`` makes, its ``emulator`` extra, the test tools), then:

1. ``airflow providers list`` must show ``airflow-provider-filed`` (the wheel registers the provider);
2. the suite runs with that venv's Python and Airflow.

Targets (``--target NAME`` picks one; ``make test-compat TARGETS="a b"``):

- ``floor``: Python 3.10, the oldest Airflow the provider declares, and the provider's own dependencies at
  their declared floors (``>=X`` pinned to ``==X``);
- ``newest-python``: Python 3.13 with everything at the versions ``uv.lock`` pins (constraints file);
- ``python-3.12`` (not run by default): the same on Python 3.12.

Venvs are kept under ``.airflow/compat/`` and reused while their requirements are unchanged.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / ".airflow" / "compat"
CONSTRAINTS = REPO / "constraints" / "constraints.txt"
TEST_TOOLS = ["pytest>=8", "pytest-timeout>=2.3", "anyio>=4", "gql[httpx]>=3.5"]
SUITE_TIMEOUT_S = 1200
#: Floors the test tools themselves lift: gql >= 4 (graphql-core 3.3, as the emulator) needs tenacity >= 9.1.2.
FLOORS_LIFTED_BY_TEST_TOOLS = {"tenacity"}


@dataclass(frozen=True)
class Target:
    """One environment the suite must pass in."""

    name: str
    python: str
    airflow: str
    pins: tuple[str, ...] = ()
    floors: bool = False
    locked: bool = False
    #: run by a plain ``make test-compat`` (and so by CI)
    default: bool = True


def declared_floors(wheel: Path) -> list[str]:
    """``name==X`` for every ``name>=X`` the wheel requires, its ``emulator`` extra included."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode())
    floors = []
    for requirement in metadata.get_all("Requires-Dist") or []:
        spec, _, marker = requirement.partition(";")
        if marker and "extra == 'emulator'" not in marker:
            continue
        match = re.search(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?.*>=([^,\s]+)", spec.replace(" ", ""))
        if match:
            floors.append(f"{match.group(1)}=={match.group(2)}")
    return floors


def targets(wheel: Path) -> dict[str, Target]:
    floor_airflow = next(f.split("==")[1] for f in declared_floors(wheel) if f.startswith("apache-airflow=="))
    locked_airflow = next(
        line.split("==")[1] for line in CONSTRAINTS.read_text().splitlines() if line.startswith("apache-airflow==")
    )
    return {
        "floor": Target("floor", "3.10", floor_airflow, floors=True),
        "newest-python": Target("newest-python", "3.13", locked_airflow, locked=True),
        # Between the two above; kept out of CI to keep it short: `make test-compat TARGETS=python-3.12`.
        "python-3.12": Target("python-3.12", "3.12", locked_airflow, locked=True, default=False),
    }


def _runs(python: str, code: str) -> bool:
    return subprocess.run([python, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def find_python(version: str) -> str:
    """A working ``python3.X``: on PATH, in pyenv's versions, or one uv knows (never downloaded)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}"), f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))[::-1]
    uv = shutil.which("uv")
    if uv:
        found = subprocess.run(
            [uv, "python", "find", version],
            capture_output=True,
            text=True,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    check = f"import sys; assert sys.version_info[:2] == ({version.replace('.', ', ')})"
    for candidate in candidates:
        # a pyenv shim exists for every installed version but fails unless that version is selected
        if candidate and Path(candidate).exists() and _runs(candidate, check):
            return candidate
    raise SystemExit(f"Python {version} not found: install it (e.g. pyenv install {version}) to run test-compat")


def build_wheel(out: Path) -> Path:
    """The wheel ``uv build`` makes from this checkout."""
    uv = shutil.which("uv") or f"{sys.executable} -m uv"
    subprocess.run([*uv.split(), "build", "--wheel", "--quiet", "--out-dir", str(out)], cwd=REPO, check=True)
    return next(out.glob("airflow_provider_filed-*.whl"))


def log_step(name: str, message: str) -> None:
    print(f"[test-compat {name}] {message}", flush=True)


def pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PIP_CONSTRAINT", "PYTHONPATH"}}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode()).get_all("Requires-Dist") or []


def install(target: Target, wheel: Path, venv: Path) -> None:
    """Create the target's venv (reused while its dependencies are unchanged); install the wheel into it."""
    requirements = [f"apache-airflow=={target.airflow}", *target.pins, f"{wheel}[emulator]", *TEST_TOOLS]
    constraint_lines = []
    if target.floors:
        lifted = {"apache-airflow", *FLOORS_LIFTED_BY_TEST_TOOLS}
        constraint_lines = [f for f in declared_floors(wheel) if f.split("==")[0] not in lifted]
    python = find_python(target.python)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    stamp_text = "\n".join([python, *requirements[: -len(TEST_TOOLS) - 1], *TEST_TOOLS, *constraint_lines])
    stamp_text += "\n".join(requires_dist(wheel)) + (CONSTRAINTS.read_text() if target.locked else "")
    stamp = venv / ".requirements"
    if stamp.exists() and stamp.read_text() == stamp_text:
        log_step(target.name, f"reusing {venv.relative_to(REPO)}/ (same dependencies); reinstalling the wheel")
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(wheel)], check=True, env=pip_env())
        return
    shutil.rmtree(venv, ignore_errors=True)
    log_step(target.name, f"python{target.python} -m venv; pip install {' '.join(requirements[: -len(TEST_TOOLS)])}")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    command = [*pip, *requirements]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as floors:
        floors.write("\n".join(constraint_lines) + "\n")
    if target.floors:
        log_step(target.name, f"provider dependencies at their floors: {' '.join(constraint_lines)}")
        command += ["-c", floors.name]
    if target.locked:
        log_step(target.name, f"pinned by {CONSTRAINTS.relative_to(REPO)}")
        command += ["-c", str(CONSTRAINTS)]
    try:
        subprocess.run(command, check=True, env=pip_env(), stdout=subprocess.DEVNULL)
    finally:
        os.unlink(floors.name)
    stamp.write_text(stamp_text)


def providers_list(name: str, venv: Path) -> None:
    """``airflow providers list`` in the venv must show this provider."""
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in pip_env().items() if not k.startswith("AIRFLOW")}
        env.update({"AIRFLOW_HOME": home, "AIRFLOW__CORE__LOAD_EXAMPLES": "False"})
        out = subprocess.run(
            [str(venv / "bin" / "airflow"), "providers", "list", "--output", "plain"],
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
        )
    found = [line for line in out.stdout.splitlines() if line.startswith("airflow-provider-filed")]
    if out.returncode != 0 or not found:
        raise SystemExit(
            f"[test-compat {name}] `airflow providers list` does not show the provider:\n{out.stderr[-2000:]}"
        )
    log_step(name, f"airflow providers list: {' '.join(found[0].split())}")


def run_suite(name: str, venv: Path, pytest_args: list[str]) -> int:
    python = str(venv / "bin" / "python")
    versions = subprocess.run(
        [
            python,
            "-c",
            "import sys, importlib.metadata as m; print(sys.version.split()[0], m.version('apache-airflow'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    log_step(name, f"pytest on Python {versions[0]}, Airflow {versions[1]}")
    env = {k: v for k, v in pip_env().items() if not k.startswith("AIRFLOW")}
    begun = time.monotonic()
    code = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
        cwd=REPO,
        env=env,
        timeout=SUITE_TIMEOUT_S,
    ).returncode
    log_step(name, f"pytest exit code {code} after {time.monotonic() - begun:.0f}s")
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--target", action="append", help="floor, newest-python or python-3.12 (default: floor and newest-python)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    ROOT.mkdir(parents=True, exist_ok=True)
    failures = []
    with tempfile.TemporaryDirectory() as out:
        wheel = build_wheel(Path(out))
        known = targets(wheel)
        chosen = [known[name] for name in args.target] if args.target else [t for t in known.values() if t.default]
        for target in chosen:
            begun = time.monotonic()
            venv = ROOT / target.name
            install(target, wheel, venv)
            log_step(target.name, f"environment ready in {time.monotonic() - begun:.0f}s")
            providers_list(target.name, venv)
            if run_suite(target.name, venv, args.pytest_args) != 0:
                failures.append(target.name)
    if failures:
        print(f"[test-compat] FAILED: {', '.join(failures)}")
        return 1
    print(f"[test-compat] passed: {', '.join(t.name for t in chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
