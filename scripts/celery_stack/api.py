"""Airflow's REST API (v2) as the stack uses it: log in, wait for a DAG, trigger a run, read its tasks."""

from __future__ import annotations

import time
from typing import Any

import httpx

TERMINAL_RUN_STATES = frozenset({"success", "failed"})


class AirflowApi:
    """A logged-in client of one api-server (simple auth manager, user and password known)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._credentials = {"username": username, "password": password}
        self._http = httpx.Client(base_url=self.base_url, timeout=60, trust_env=False)

    def close(self) -> None:
        self._http.close()

    def login(self) -> None:
        token = self._http.post("/auth/token", json=self._credentials)
        token.raise_for_status()
        self._http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._http.request(method, f"/api/v2{path}", **kwargs)
        if response.status_code == 401:  # token expired: log in again once
            self.login()
            response = self._http.request(method, f"/api/v2{path}", **kwargs)
        return response

    def healthy(self) -> bool:
        try:
            return self._http.get("/api/v2/monitor/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_for_dag(self, dag_id: str, timeout_s: float) -> None:
        """Return once the dag-processor has parsed ``dag_id`` into the database."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._call("GET", f"/dags/{dag_id}").status_code == 200:
                return
            time.sleep(1)
        raise TimeoutError(f"DAG {dag_id} was not parsed within {timeout_s:.0f}s (see the dag-processor's log)")

    def unpause(self, dag_id: str) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()

    def trigger(self, dag_id: str, conf: dict[str, Any]) -> str:
        """Start a run of ``dag_id`` now with ``conf``; its run id."""
        response = self._call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf})
        response.raise_for_status()
        run_id: str = response.json()["dag_run_id"]
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str:
        response = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
        response.raise_for_status()
        state: str = response.json()["state"]
        return state

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """Every task instance of the run, mapped ones included (paged)."""
        found: list[dict[str, Any]] = []
        while True:
            response = self._call(
                "GET",
                f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                params={"limit": 100, "offset": len(found), "order_by": "map_index"},
            )
            response.raise_for_status()
            page = response.json()
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found
