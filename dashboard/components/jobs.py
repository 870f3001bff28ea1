"""A background job's progress as the dashboard shows it: a bar, its message, and a poller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from services import jobs
from services.errors import ServiceError

POLL_MS = 700


def job_progress(prefix: str, job_id: int | None = None) -> html.Div:
    """Progress bar, status line, the polling interval and the job id store (ids start with `prefix`);
    given a `job_id` (a job already under way), it shows and polls that job from the start."""
    return html.Div(
        [
            dbc.Progress(
                id=f"{prefix}-progress",
                value=0,
                label="",
                striped=True,
                animated=True,
                className="mb-1",
                style={"height": "1.4rem"},
            ),
            html.Div(id=f"{prefix}-status", className="small text-muted mb-2", role="status"),
            dcc.Interval(id=f"{prefix}-poll", interval=POLL_MS, disabled=job_id is None),
            dcc.Store(id=f"{prefix}-job", data=job_id),
        ],
        id=f"{prefix}-box",
        hidden=job_id is None,
    )


def job_view(job: dict[str, Any] | None) -> dict[str, Any]:
    """What the progress parts show for a job (as `Job.to_dict()` gives it); `done` when it ended."""
    if job is None:
        return {"value": 0, "label": "", "status": "", "color": "primary", "done": True, "animated": False}
    status = job["status"]
    value = 100 if status == "succeeded" else int(job["progress"] or 0)
    if status == "failed":
        reason = (job.get("error") or job.get("message") or "unknown error").split(": ", 1)[-1]
        text = f"Failed: {reason}"
    elif status == "succeeded":
        text = "Finished."
    else:
        text = f"{status.capitalize()}: {job.get('message') or ''}"
    return {
        "value": value,
        "label": f"{value} %",
        "status": text,
        "color": {"failed": "danger", "succeeded": "success"}.get(status, "primary"),
        "done": status in ("succeeded", "failed"),
        "animated": status not in ("succeeded", "failed"),
    }


def progress_callback_io(prefix: str, result_id: str, counter_id: str) -> list:
    """The outputs, input and states of a callback following the job of `job_progress(prefix)`: the
    bar, the status line, the poller, a result area (`result_id`'s children) and a counter (`counter_id`)
    bumped when the job ends, so that lists on the page refresh."""
    return [
        Output(f"{prefix}-progress", "value"),
        Output(f"{prefix}-progress", "label"),
        Output(f"{prefix}-progress", "color"),
        Output(f"{prefix}-progress", "animated"),
        Output(f"{prefix}-status", "children"),
        Output(f"{prefix}-poll", "disabled", allow_duplicate=True),
        Output(result_id, "children", allow_duplicate=True),
        Output(counter_id, "data", allow_duplicate=True),
        Input(f"{prefix}-poll", "n_intervals"),
        State(f"{prefix}-job", "data"),
        State(counter_id, "data"),
    ]


def follow_job(job_id: int | None, counter: int | None, on_success: Callable[[dict, dict], Any]) -> tuple:
    """The values for `progress_callback_io`: the job's progress and status; once it succeeded, the
    result area from `on_success(job, view)` (which may also change the view); the counter bumped
    when the job ended."""
    if not job_id:
        return (no_update,) * 5 + (True, no_update, no_update)
    try:
        job = jobs.get(job_id).to_dict()
    except ServiceError as exc:
        return 0, "", "danger", False, exc.message, True, no_update, no_update
    view = job_view(job)
    # A failed job may still carry a result worth showing (a failed import's report).
    shows = job["status"] == "succeeded" or (job["status"] == "failed" and job.get("result"))
    result = on_success(job, view) if shows else no_update
    ended = (counter or 0) + 1 if view["done"] else no_update
    shown = (view["value"], view["label"], view["color"], view["animated"], view["status"], view["done"])
    return (*shown, result, ended)
