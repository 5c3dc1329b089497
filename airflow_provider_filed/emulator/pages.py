"""The emulator's stand-in for Filed's web app: read-only HTML pages a task's "Filed" link can open.

``/sign-in?deep_link=<path>`` redirects to the path (as Filed's sign-in does once signed in);
``/w/{slug}`` lists the workspace's connection jobs; :data:`JOB_PAGE_PATH` shows one job: its works,
their statuses and documents. Pages need no token: the emulator serves test data on loopback.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from airflow_provider_filed.emulator.config import EmulatorConfig
from airflow_provider_filed.emulator.store import Store
from airflow_provider_filed.emulator.store.views import JobSummary, JobView, WorkspaceView

#: The path of a connection job's page, as a template of the connection extra the "Filed" link reads.
JOB_PAGE_PATH = "/w/{workspace_slug}/connection-jobs/{connection_job_id}"
WORKSPACE_PAGE_PATH = "/w/{workspace_slug}"
#: Works listed on a job page (the counts cover all of them).
WORKS_SHOWN = 1000
REFRESH_S = 5
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.4rem; margin-bottom: .2rem; } .muted { color: #616e7c; }
table { border-collapse: collapse; margin-top: 1rem; } td, th { padding: .3rem .7rem; text-align: left; }
tr:nth-child(even) { background: #f5f7fa; } th { border-bottom: 2px solid #cbd2d9; }
.status { font-weight: 600; } .failed, .error, .terminated { color: #b42318; }
.completed, .success { color: #067647; } .banner { background: #e8f1ff; padding: .5rem 1rem; }
"""


class PageSource(Protocol):
    """What the pages read: the store and the live config (an ``EmulatorApp``)."""

    store: Store
    config: EmulatorConfig


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _status(status: str) -> str:
    return f'<span class="status {_e(status.lower())}">{_e(status)}</span>'


def _counts(counts: dict[str, int]) -> str:
    return " · ".join(f"{_status(status)} {n:,}" for status, n in counts.items()) or "none"


def _page(title: str, body: str, *, refresh: bool = False) -> HTMLResponse:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_S}">' if refresh else ""
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">{meta}<title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        '<p class="banner">Filed emulator — a local stand-in for Filed\'s app (read-only)</p>'
        f"{body}</body></html>"
    )


def _not_found(what: str) -> HTMLResponse:
    response = _page("Not found · Filed emulator", f"<h1>Not found</h1><p>{_e(what)}</p>")
    response.status_code = 404
    return response


def _job_link(slug: str, job: JobSummary) -> str:
    href = JOB_PAGE_PATH.format(workspace_slug=slug, connection_job_id=job.id)
    return f'<a href="{_e(href)}">{_e(job.name)}</a>'


def _rows(cells: Iterable[Iterable[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in cells)


def render_workspace(view: WorkspaceView) -> HTMLResponse:
    """The workspace's connection jobs, newest first."""
    rows = _rows(
        (
            _job_link(view.slug, job),
            f"<code>{_e(job.id)}</code>",
            _status(job.status),
            f"{job.works:,}",
            _time(job.created_at),
        )
        for job in view.jobs
    )
    body = (
        f"<h1>{_e(view.name)}</h1><p class='muted'>workspace <code>{_e(view.slug)}</code></p>"
        "<table><tr><th>Connection job</th><th>id</th><th>status</th><th>works</th><th>created</th></tr>"
        f"{rows}</table>"
        if view.jobs
        else f"<h1>{_e(view.name)}</h1><p>No connection job yet.</p>"
    )
    return _page(f"{view.name} · Filed emulator", body)


def render_job(view: JobView) -> HTMLResponse:
    """One connection job: status, counts, and a table of its works with their documents."""
    job = view.job
    works = _rows(
        (
            _e(work.name),
            f"<code>{_e(work.external_id)}</code>",
            _status(work.status),
            "<br>".join(
                f"{_e(d.name)} ({_e(d.type)}) {_status(d.status)}" + (f" — {_e(d.reason)}" if d.reason else "")
                for d in work.documents
            ),
        )
        for work in view.works
    )
    shown = (
        f"<p class='muted'>First {len(view.works):,} of {job.works:,} works.</p>" if len(view.works) < job.works else ""
    )
    workspace = (
        f'<a href="{_e(WORKSPACE_PAGE_PATH.format(workspace_slug=view.workspace_slug))}">{_e(view.workspace_name)}</a>'
    )
    body = (
        f"<h1>Connection job {_e(job.name)}</h1>"
        f"<p class='muted'><code>{_e(job.id)}</code> · workspace {workspace} · provider connection "
        f"<code>{_e(view.connection_id)}</code> · created {_time(job.created_at)}</p>"
        f"<p>Status {_status(job.status)}</p>"
        f"<p>Works ({job.works:,}): {_counts(view.work_statuses)}</p>"
        f"<p>Documents ({job.documents:,}): {_counts(view.document_statuses)}</p>{shown}"
        "<table><tr><th>Client</th><th>externalId</th><th>status</th><th>documents</th></tr>"
        f"{works}</table>"
    )
    done = job.status.lower() == "completed"
    return _page(f"Connection job {job.id} · Filed emulator", body, refresh=not done and job.works > 0)


def page_routes(source: PageSource) -> list[Route]:
    """The routes of the sign-in redirect, the workspace page and the job page, reading ``source``."""

    def case() -> str:
        return source.config.status_case

    async def sign_in(request: Request) -> Response:
        target = request.query_params.get("deep_link") or WORKSPACE_PAGE_PATH.format(workspace_slug="redirect")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            response = _page("Sign in · Filed emulator", "<h1>Bad deep_link</h1><p>expected a path such as /w/…</p>")
            response.status_code = 400
            return response
        return RedirectResponse(target, status_code=303)

    async def workspace(request: Request) -> Response:
        slug = request.path_params["workspace_slug"]
        view = source.store.workspace_view(slug, case())
        return render_workspace(view) if view else _not_found(f"no workspace {slug!r}")

    async def job(request: Request) -> Response:
        slug, job_id = request.path_params["workspace_slug"], request.path_params["connection_job_id"]
        view = source.store.job_view(slug, job_id, case(), WORKS_SHOWN)
        return render_job(view) if view else _not_found(f"no connection job {job_id!r} in workspace {slug!r}")

    handlers: list[tuple[str, Callable[[Request], object]]] = [
        ("/sign-in", sign_in),
        (WORKSPACE_PAGE_PATH, workspace),
        (JOB_PAGE_PATH, job),
    ]
    return [Route(path, handler, methods=["GET"]) for path, handler in handlers]
