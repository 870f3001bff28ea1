"""A background job's progress as the dashboard shows it: a bar, its message, and a poller."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

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
