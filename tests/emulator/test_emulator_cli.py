"""The ``filed-emulator`` command: one JSON line on start, flags applied, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest

from airflow_provider_filed.emulator.cli import build_parser, config_from_args, main

LOGIN = "mutation($k: String!) { loginViaPersonalApiToken(token: $k) { accessToken } }"


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "airflow_provider_filed.emulator.cli", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _startup_line(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, process.stderr.read() if process.stderr else ""
    info: dict[str, Any] = json.loads(line)
    return info


def test_cli_prints_one_line_and_stops_cleanly_on_sigterm_and_sigint() -> None:
    args = ("--api-key", "cli-key", "--api-key", "cli-key-2", "--rate-limit-rate", "1", "--seed", "3")
    processes = {signal.SIGTERM: _spawn(*args), signal.SIGINT: _spawn(*args)}
    try:
        for process in processes.values():
            info = _startup_line(process)
            assert set(info) >= {"url", "api_key", "workspace_id", "workspace_slug", "connection_id"}
            assert info["url"].startswith("http://127.0.0.1:")
            assert info["url"].endswith("/graphql")
            assert info["api_key"] == "cli-key"
            with httpx.Client(trust_env=False, timeout=5) as client:
                login = {"query": LOGIN, "variables": {"k": "cli-key"}}
                assert client.post(info["url"], json=login).status_code == 429
                base = info["url"].removesuffix("/graphql")
                assert client.post(f"{base}/_emulator/config", json={"rate_limit_rate": 0}).status_code == 200
                login = {"query": LOGIN, "variables": {"k": "cli-key-2"}}
                assert client.post(info["url"], json=login).status_code == 200
    finally:
        for stop, process in processes.items():
            process.send_signal(stop)
    for process in processes.values():
        stdout, stderr = process.communicate(timeout=10)
        assert process.returncode == 0, stderr
        assert stdout == ""
        assert "Traceback" not in stderr


def test_cli_flags_build_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--latency-ms",
            "5",
            "--jitter-ms",
            "1",
            "--error-rate",
            "0.1",
            "--commit-then-fail-rate",
            "0.2",
            "--token-ttl-s",
            "60",
            "--processing-time-s",
            "-1",
            "--artifact-failure-pattern",
            "bad",
            "--artifact-terminated-pattern",
            "cancel",
            "--fault-operation",
            "createJobWorks",
            "--latency-covers-work",
        ]
    )
    config = config_from_args(args)
    assert (config.latency_ms, config.jitter_ms, config.error_rate) == (5, 1, 0.1)
    assert (config.commit_then_fail_rate, config.token_ttl_s, config.never_finish) == (0.2, 60, True)
    assert (config.artifact_failure_pattern, config.artifact_terminated_pattern) == ("bad", "cancel")
    assert config.fault_operations == ["createJobWorks"]
    assert config.latency_covers_work is True
    assert config.max_limit == 1000


def test_cli_rejects_invalid_values(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--error-rate", "3"])
    assert exited.value.code == 2
    assert "error_rate" in capfd.readouterr().err


WITHOUT_EXTRA = """
import sys


class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Missing())
from airflow_provider_filed.emulator.cli import main

sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("blocked", [("ariadne", "graphql"), ("uvicorn",)], ids=["no-ariadne", "no-uvicorn"])
def test_cli_without_the_emulator_extra_says_what_to_install(blocked: tuple[str, ...]) -> None:
    code = f"BLOCKED = {set(blocked)!r}\n{WITHOUT_EXTRA}"
    done = subprocess.run([sys.executable, "-c", code, "--port", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert 'pip install "airflow-provider-filed[emulator]"' in line
    assert any(f"'{name}'" in line for name in blocked), line

    helped = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0
    assert "--lenient-duplicates" in helped.stdout
