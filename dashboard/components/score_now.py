"""The "Score now" buttons of a page (one per course, ids `{"type": "<prefix>-score", "code": ...}`),
the scoring job's progress under them, and a `<prefix>-score-done` store bumped when a job ended, on
which the page refreshes what it shows."""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import signed_in_user
from dashboard.components.forms import alert
from dashboard.components.jobs import follow_job, job_progress, progress_callback_io
from db.courses import Course
from services import score_now
from services.errors import ServiceError
from services.links import course_href


def score_button(prefix: str, code: str, **kwargs) -> dbc.Button:
    """A "Score now" button for course `code`."""
    return dbc.Button(
        "Score now",
        id={"type": f"{prefix}-score", "code": code},
        color="primary",
        outline=True,
        size="sm",
        n_clicks=0,
        title=f"Score {code}'s learners at today's day of the course",
        **kwargs,
    )


def score_area(prefix: str) -> html.Div:
    """Where a scoring job's start message, progress and outcome show."""
    return html.Div(
        [
            html.Div(id=f"{prefix}-score-message"),
            job_progress(f"{prefix}-score"),
            html.Div(id=f"{prefix}-score-result", role="status"),
            dcc.Store(id=f"{prefix}-score-done", data=0),
        ],
        id=f"{prefix}-score-area",
    )


def course_block(prefix: str, user, code: str, status: str) -> html.Div | None:
    """A course page's Score now button and progress, for its tutors and the administrators once the
    course started (None for anyone else)."""
    course = Course.by_code(code)
    if status == "upcoming" or course is None or not score_now.may_score(user, course):
        return None
    return html.Div(
        [
            html.Div(
                [
                    score_button(prefix, code, className="me-2"),
                    html.Span(
                        "Scores every learner at today's day of the course.", className="small text-muted"
                    ),
                ],
                className="mb-2",
            ),
            score_area(prefix),
        ],
        id=f"{prefix}-score-block",
    )


def after_import(prefix: str, report: dict) -> html.Div | None:
    """Under a finished import's report: Score now for each imported course that reached a checkpoint,
    or that scoring already started (EARLY_WARNING_SCORE_AFTER_IMPORT)."""
    if report.get("status") == "failed":
        return None
    courses = [Course.by_code(code) for code in report.get("courses") or []]
    ready = [course.code for course in courses if course is not None and score_now.scorable(course)]
    if not ready:
        return None
    if report.get("scoring_jobs"):
        text = f"Scoring started for {', '.join(ready)} (the import setting scores after each import)."
        return html.P(text, className="small", id=f"{prefix}-score-started")
    buttons = [score_button(prefix, code, className="me-2 mb-1") for code in ready]
    return html.Div(
        [html.Span("Score the imported courses now: ", className="small me-2"), *buttons],
        id=f"{prefix}-score-offer",
        className="mb-2",
    )


def _outcome(link: bool) -> Callable[[dict, dict], dbc.Alert]:
    def shown(job: dict, _view: dict) -> dbc.Alert:
        result = job["result"] or {}
        code = job["params"]["course"]
        stored = f"{result.get('enrollments', 0):,} prediction(s) stored"
        text = f"{code} scored at day {result.get('day')}: {stored}."
        parts: list = [" ".join([text, *result.get("notes", [])])]
        if link:
            parts += [" ", dcc.Link(f"Open {code}", href=course_href(code), className="alert-link")]
        return dbc.Alert(parts, color="success", dismissable=True, className="mb-3")

    return shown


def register(prefix: str, link_course: bool = False) -> None:
    """The callbacks of a page's Score now buttons: start the job (the buttons wait meanwhile), then
    follow it; `link_course`: the outcome links to the course page (from a page that does not show it)."""
    buttons = {"type": f"{prefix}-score", "code": ALL}

    @callback(
        Output(f"{prefix}-score-job", "data"),
        Output(f"{prefix}-score-poll", "disabled"),
        Output(f"{prefix}-score-box", "hidden"),
        Output(f"{prefix}-score-message", "children"),
        Output(f"{prefix}-score-result", "children"),
        Output(buttons, "disabled"),
        Input(buttons, "n_clicks"),
        prevent_initial_call=True,
    )
    def start(clicks):
        # A re-rendered list adds buttons with no clicks: only a real click starts a job.
        if not ctx.triggered_id or not ctx.triggered or not ctx.triggered[0]["value"]:
            raise PreventUpdate
        code = ctx.triggered_id["code"]
        try:
            job = score_now.start(signed_in_user(), code)
        except ServiceError as exc:
            return no_update, True, True, alert(exc.message), None, [False] * len(clicks)
        waiting = html.P(f"Scoring {code}…", className="small mb-1")
        return job.id, False, False, waiting, None, [True] * len(clicks)

    @callback(
        *progress_callback_io(f"{prefix}-score", f"{prefix}-score-result", f"{prefix}-score-done"),
        prevent_initial_call=True,
    )
    def follow(_ticks, job_id, done):
        return follow_job(job_id, done, _outcome(link_course))

    @callback(
        Output(buttons, "disabled", allow_duplicate=True),
        Input(f"{prefix}-score-done", "data"),
        State(buttons, "id"),
        prevent_initial_call=True,
    )
    def ready_again(_done, ids):
        return [False] * len(ids)
