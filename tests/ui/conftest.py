"""``make test-ui`` fixtures: ``make airflow`` on a free loopback port, headless Chromium, screenshots.

The deployment is ``scripts/airflow_standalone.py`` in a temporary Airflow home, stopped with every process
it started (and any it left) when the module ends. ``FILED_UI_ATTACH=<file>`` attaches instead to a running
``make airflow`` whose output (with its banner) is in ``<file>``: handy while writing a test.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "ui-screenshots"
CHROMIUM = os.environ.get("FILED_UI_CHROMIUM", "/usr/bin/chromium")
#: Known to work here: no background traffic (this machine's network is closed), a fresh profile.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 420.0
STOP_GRACE_S = 40.0


@dataclass(frozen=True)
class AirflowUI:
    """A running ``make airflow``: where its UI and emulator answer, and how to sign in."""

    root: str
    password: str
    emulator: str
    api_key: str

    def api(self) -> httpx.Client:
        """A REST client of Airflow's public API, signed in as admin."""
        token = httpx.post(
            f"{self.root}/auth/token",
            json={"username": "admin", "password": self.password},
            timeout=120,
            trust_env=False,
        ).json()["access_token"]
        return httpx.Client(
            base_url=f"{self.root}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=60, trust_env=False
        )

    def get(self, api: httpx.Client, path: str, patience_s: float = 180.0) -> Any:
        """``GET path`` as JSON, asked again while a busy API server times out (the machine is shared)."""
        deadline = time.monotonic() + patience_s
        while True:
            try:
                response = api.get(path)
                response.raise_for_status()
                return response.json()
            except (httpx.TransportError, httpx.HTTPStatusError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)

    def seed(self) -> dict[str, Any]:
        """The emulator's seeded workspace and provider connection."""
        seed: dict[str, Any] = httpx.get(f"{self.emulator}/_emulator/seed", trust_env=False).json()
        return seed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def read_banner(output: Path) -> dict[str, str] | None:
    """The banner's ``name: value`` rows once ``make airflow`` printed it, else None."""
    text = output.read_text(errors="replace") if output.exists() else ""
    if "Airflow UI" not in text:
        return None
    rows = dict(re.findall(r"^  (Airflow UI|password|Filed emulator)\s{2,}(\S+)", text, re.MULTILINE))
    return rows if len(rows) == 3 else None


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (read from /proc), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def stop(proc: subprocess.Popen[bytes]) -> None:
    """TERM the script (it stops what it started), then KILL whatever is left below it."""
    family = descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in [*family, *descendants(proc.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def airflow_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowUI]:
    """``make airflow`` on a free port in a fresh Airflow home (or the one ``FILED_UI_ATTACH`` names)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from demo import DEMO_API_KEY

    attach = os.environ.get("FILED_UI_ATTACH")
    proc: subprocess.Popen[bytes] | None = None
    if attach:
        output = Path(attach)
    else:
        home = tmp_path_factory.mktemp("airflow-home")
        output = home / "make-airflow.out"
        command = [sys.executable, str(REPO / "scripts" / "airflow_standalone.py"), "--port", str(free_port())]
        with output.open("wb") as out:
            proc = subprocess.Popen(
                [*command, "--home", str(home), "--processing-time-s", "5"], stdout=out, stderr=subprocess.STDOUT
            )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while (banner := read_banner(output)) is None:
            if proc is not None and proc.poll() is not None:
                pytest.fail(f"make airflow exited with {proc.returncode}:\n{output.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                pytest.fail(f"make airflow printed no banner in {STARTUP_TIMEOUT_S:.0f} s")
            time.sleep(1)
        yield AirflowUI(banner["Airflow UI"], banner["password"], banner["Filed emulator"], DEMO_API_KEY)
    finally:
        if proc is not None:
            stop(proc)
            print(f"make airflow output:\n{output.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright, headless, with a new profile."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make test-ui` installs Debian's chromium (apt-get, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def page(browser: Any, airflow_ui: AirflowUI) -> Iterator[Any]:
    """One signed-in tab shared by the tests, which run in file order as one user's first hour."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(90_000)
    tab = context.new_page()
    tab.goto(airflow_ui.root, timeout=180_000)
    tab.get_by_label("Username").fill("admin")
    tab.get_by_label("Password").fill(airflow_ui.password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"{airflow_ui.root}/", timeout=120_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def screenshot() -> Any:
    """``screenshot(page_or_locator, name)`` saves ``build/ui-screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(target: Any, name: str, **kwargs: Any) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        target.screenshot(path=str(path), **kwargs)
        return path

    return take


def json_value(raw: Any) -> Any:
    """An XCom value from the REST API (a JSON string, or already decoded)."""
    if isinstance(raw, str):
        with contextlib.suppress(ValueError):
            return json.loads(raw)
    return raw
