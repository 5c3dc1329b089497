"""A new user's first hour in the Airflow UI of ``make airflow``, in headless Chromium (``make test-ui``).

The tests run in file order on one signed-in tab: the DAGs, the connection form and its Test button,
triggering the example import with the Trigger dialog's defaults, its grid, its task logs, and the "Filed"
link to the emulator's page of the run's connection job. Screenshots go to ``build/ui-screenshots/``.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.ui.conftest import AirflowUI, json_value

pytestmark = [pytest.mark.ui, pytest.mark.timeout(900)]

DAG_ID = "filed_tax_season_import"
DAG_IDS = (DAG_ID, "filed_tax_season_daily")
CONN_ID = "filed_ui_check"
RUN_TIMEOUT_S = 420.0
#: The Trigger dialog's defaults: the sample shipped with the DAG.
DEFAULTS = {"clients_path": "data/clients.csv", "documents_path": "data/documents.csv", "batch_size": "100"}

run: dict[str, str] = {}


def field(dialog: Any, name: str) -> Any:
    """The form row (label and input) of an extra field of the connection form."""
    return dialog.locator(f"[name=element_{name}]").locator("xpath=ancestor::*[@role='group'][1]")


def test_both_example_dags_are_listed_without_import_errors(page: Any, airflow_ui: AirflowUI, screenshot: Any) -> None:
    page.goto(f"{airflow_ui.root}/dags")
    for dag_id in DAG_IDS:
        page.get_by_role("link", name=dag_id, exact=True).wait_for()
    with airflow_ui.api() as api:
        errors = airflow_ui.get(api, "/importErrors")
    assert errors["total_entries"] == 0, errors
    assert page.get_by_text("Import Errors").count() == 0
    screenshot(page, "01-dags")


def test_connection_form_marks_required_fields_and_the_test_button_passes(
    page: Any, airflow_ui: AirflowUI, screenshot: Any
) -> None:
    seed = airflow_ui.seed()
    page.goto(f"{airflow_ui.root}/connections")
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection ID").fill(CONN_ID)
    dialog.get_by_role("combobox").fill("Filed")
    page.keyboard.press("Enter")

    host, api_key = dialog.get_by_label("GraphQL URL"), dialog.get_by_label("API key")
    assert "gateway.filed.com/graphql" in host.get_attribute("placeholder")
    assert api_key.get_attribute("type") == "password"
    screenshot(dialog, "02-connection-form-standard")
    host.fill(f"{airflow_ui.emulator}/graphql")
    api_key.fill(airflow_ui.api_key)

    dialog.get_by_text("Extra Fields", exact=True).click()
    for name, label in (("workspace_id", "Workspace ID"), ("connection_id", "Provider connection ID")):
        text = field(dialog, name).locator("label").inner_text()
        assert label in text
        assert "*" in text, f"{label} is not marked required: {text!r}"
    assert "*" not in field(dialog, "workspace_slug").locator("label").inner_text()
    screenshot(page, "03-connection-form-extras")
    field(dialog, "workspace_id").locator("input").fill(seed["workspace_id"])
    field(dialog, "connection_id").locator("input").fill(seed["connection_id"])
    field(dialog, "workspace_slug").locator("input").fill(seed["workspace_slug"])
    dialog.get_by_role("button", name="Save").click()

    row = page.get_by_role("row").filter(has_text=CONN_ID)
    row.get_by_role("button", name="Test Connection").click()
    page.get_by_text("Connected to Filed as").first.wait_for()
    screenshot(page, "04-connection-tested")


def test_trigger_dialog_defaults_are_valid_and_trigger_a_run(page: Any, airflow_ui: AirflowUI, screenshot: Any) -> None:
    page.set_viewport_size({"width": 1400, "height": 1500})
    page.goto(f"{airflow_ui.root}/dags/{DAG_ID}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    button = dialog.get_by_role("button", name="Trigger")
    button.wait_for()
    for name, value in DEFAULTS.items():
        assert dialog.locator(f"[name=element_{name}]").input_value() == value
    assert button.is_enabled(), "the Trigger button is disabled with the DAG's defaults"
    screenshot(page, "05-trigger-dialog")
    button.click()
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_url(re.compile(rf"/dags/{DAG_ID}/runs/.+"))
    run["id"] = page.url.split("/runs/", 1)[1].split("/")[0].split("?")[0]


def test_the_run_succeeds_and_its_grid_is_all_green(page: Any, airflow_ui: AirflowUI, screenshot: Any) -> None:
    assert run, "no run was triggered"
    deadline = time.monotonic() + RUN_TIMEOUT_S
    with airflow_ui.api() as api:
        while (state := airflow_ui.get(api, f"/dags/{DAG_ID}/dagRuns/{run['id']}")["state"]) not in (
            "success",
            "failed",
        ):
            assert time.monotonic() < deadline, f"the run is still {state} after {RUN_TIMEOUT_S:.0f} s"
            time.sleep(3)
        tasks = airflow_ui.get(api, f"/dags/{DAG_ID}/dagRuns/{run['id']}/taskInstances")["task_instances"]
        xcom = f"/dags/{DAG_ID}/dagRuns/{run['id']}/taskInstances/create_connection_job/xcomEntries/return_value"
        run["job"] = json_value(airflow_ui.get(api, xcom)["value"])
    states = {(t["task_id"], t["map_index"]): t["state"] for t in tasks}
    assert state == "success", states
    assert set(states.values()) == {"success"}, states
    page.goto(f"{airflow_ui.root}/dags/{DAG_ID}/runs/{run['id']}")
    page.get_by_text("wait_for_job_works").first.wait_for()
    time.sleep(2)  # the grid paints its state squares after the task list
    screenshot(page, "06-run-grid")


@pytest.mark.parametrize(
    ("task", "progress", "name"),
    [
        ("import_batch.create_job_works/mapped/0", r"created 100/100 works", "07-log-create-job-works"),
        ("wait_for_job_works", r"300 job works, 100\.0% done", "08-log-wait-for-job-works"),
    ],
)
def test_task_logs_show_progress_lines(
    page: Any, airflow_ui: AirflowUI, screenshot: Any, task: str, progress: str, name: str
) -> None:
    assert run, "no run was triggered"
    page.goto(f"{airflow_ui.root}/dags/{DAG_ID}/runs/{run['id']}/tasks/{task}")
    page.get_by_text(re.compile(progress)).first.wait_for()
    screenshot(page, name)


def test_filed_link_opens_the_runs_connection_job_in_the_emulator(
    page: Any, airflow_ui: AirflowUI, screenshot: Any
) -> None:
    from airflow_provider_filed.emulator.pages import JOB_PAGE_PATH

    assert run.get("job"), "the run opened no connection job"
    page.goto(f"{airflow_ui.root}/dags/{DAG_ID}/runs/{run['id']}/tasks/wait_for_job_works/details")
    link = page.get_by_role("link", name="Filed", exact=True).last
    with page.context.expect_page() as opened:
        link.click()
    filed = opened.value
    filed.wait_for_load_state()
    filed.get_by_text(run["job"]).first.wait_for()
    screenshot(filed, "09-filed-link")
    slug = airflow_ui.seed()["workspace_slug"]
    job_page = JOB_PAGE_PATH.format(workspace_slug=slug, connection_job_id=run["job"])
    assert filed.url.endswith(job_page), filed.url
    assert filed.get_by_text("completed").count() > 0
    filed.close()
