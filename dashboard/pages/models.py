"""Models (administrators): versions and their metrics side by side, a version's diagnostics, retraining
as a job with live progress, and champion/challenger activation or rollback with a confirmation."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components.confirm import confirm_dialog
from dashboard.components.forms import alert, csv_upload
from dashboard.components.jobs import job_progress, job_view
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from modelling.schemas import schema_for
from modelling.tasks import TASK_NAMES, task_for, task_options
from server.security import client_ip
from services import jobs, models
from services.errors import ServiceError

PATH = "/models"
dash.register_page(
    __name__,
    path=PATH,
    title="Models",
    name="Models",
    access="admin",
    nav=True,
    order=50,
    description="Model versions, their diagnostics, retraining and activation.",
)


def _metrics(task: str) -> list[tuple[str, str, bool | None]]:
    """(key, heading, higher is better) of every figure the task shows."""
    return [(m.key, m.heading, m.higher_is_better) for m in task_for(task).metrics]


def _figure(graph_id: str, filename: str, height: int = 360) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                dcc.Graph(
                    id=graph_id, config=figures.graph_config(filename), style={"height": f"{height}px"}
                ),
                className="p-2",
            )
        ),
        xs=12,
        lg=6,
        className="mb-3",
    )


def _retrain_card(running_job_id: int | None) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3("Retrain", className="h5"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Training data", html_for="models-data"),
                                dbc.RadioItems(
                                    id="models-data",
                                    options=[
                                        {"label": "Bundled data", "value": "bundled"},
                                        {"label": "Uploaded labelled CSV", "value": "upload"},
                                    ],
                                    value="bundled",
                                ),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Cross-validation folds", html_for="models-folds"),
                                dbc.Select(
                                    id="models-folds",
                                    options=[{"label": str(k), "value": str(k)} for k in (3, 5, 10)],
                                    value="5",
                                ),
                            ],
                            md=2,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Candidates", html_for="models-candidate-choice"),
                                dbc.Checklist(id="models-candidate-choice", options=[], value=[]),
                            ],
                            md=4,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Labelled CSV (inputs + target)", html_for="models-upload"),
                                csv_upload("models-upload", "Drop or", padding="p-3"),
                                html.Div(id="models-upload-name", className="small text-muted"),
                            ],
                            md=3,
                        ),
                    ],
                    className="mb-2",
                ),
                dbc.Button("Start training", id="models-train", color="primary", className="mb-2"),
                job_progress("models", running_job_id),
                html.Div(id="models-compare"),
            ]
        ),
        className="mb-3",
    )


@page("admin", PATH)
def layout(user, **_query):
    # A retrain started earlier (on this page or elsewhere) is shown as if one had stayed here.
    running = models.training_in_progress()
    task = running.params.get("task", TASK_NAMES[0]) if running else TASK_NAMES[0]
    confirm = confirm_dialog("models", "Change the serving model?", "Yes, activate")
    return html.Div(
        [
            page_header("Models", "Compare versions, inspect one, retrain, and choose which version serves."),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Task", html_for="models-task"),
                        dbc.RadioItems(id="models-task", options=task_options(), value=task, inline=True),
                    ]
                ),
                className="mb-2",
            ),
            html.Div(id="models-message"),
            html.H3("Versions", className="h5"),
            dcc.Loading(html.Div(id="models-versions")),
            _retrain_card(running.id if running else None),
            html.H3("A version in detail", className="h5"),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Version", html_for="models-version"),
                        dcc.Dropdown(id="models-version", clearable=False),
                    ],
                    md=4,
                ),
                className="mb-2",
            ),
            dcc.Loading(html.Div(id="models-candidates")),
            dbc.Row(
                [
                    _figure("models-graph-a", "diagnostic-1"),
                    _figure("models-graph-b", "diagnostic-2"),
                    _figure("models-graph-history", "keras-history"),
                    _figure("models-graph-importance", "importance", figures.IMPORTANCE_HEIGHT),
                ]
            ),
            html.Details(
                [html.Summary("Model card"), dcc.Markdown(id="models-card", className="mt-2")],
                className="mb-4",
            ),
            confirm,
            dcc.Store(id="models-refresh", data=0),
            dcc.Store(id="models-pending"),
        ]
    )


def _format(value: Any) -> str:
    return "–" if value is None else f"{value:.4f}"


def _versions_table(task: str, rows: list) -> Any:
    if not rows:
        return html.P("No version of this task yet. Train one below.", className="text-muted")
    metrics = _metrics(task)
    head = ["Version", "Algorithm", "Trained", "Rows", *[label for _k, label, _h in metrics], ""]
    body = []
    for row in rows:
        action = (
            dbc.Badge("active", color="success", id=f"models-active-{row.version}")
            if row.is_active
            else dbc.Button(
                "Activate",
                id={"type": "models-activate", "version": row.version},
                size="sm",
                color="secondary",
                outline=True,
            )
        )
        body.append(
            html.Tr(
                [
                    html.Td(f"v{row.version}"),
                    html.Td(row.algorithm),
                    html.Td(when(row.created_at)),
                    html.Td(f"{row.rows:,}"),
                    *[html.Td(_format(row.metrics.get(key))) for key, _l, _h in metrics],
                    html.Td(action),
                ],
                className="table-success" if row.is_active else None,
                id=f"models-row-{row.version}",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(body)],
        hover=True,
        responsive=True,
        size="sm",
        id="models-versions-table",
    )


@callback(
    Output("models-versions", "children"),
    Output("models-version", "options"),
    Output("models-version", "value"),
    Input("models-task", "value"),
    Input("models-refresh", "data"),
)
def show_versions(task, _refresh):
    rows = models.versions(task)
    options = [
        {"label": f"v{r.version} · {r.algorithm}{' (active)' if r.is_active else ''}", "value": r.version}
        for r in rows
    ]
    active = next((r.version for r in rows if r.is_active), rows[0].version if rows else None)
    return _versions_table(task, rows), options, active


@callback(
    Output("models-candidate-choice", "options"),
    Output("models-candidate-choice", "value"),
    Input("models-task", "value"),
)
def show_candidates(task):
    from modelling.train import candidate_names

    names = candidate_names(task)
    return [{"label": n.replace("_", " "), "value": n} for n in names], names


def _candidates_table(task: str, metrics: dict[str, Any]) -> dbc.Table:
    columns = _metrics(task)
    rows = []
    for candidate in metrics.get("candidates") or []:
        values = candidate["metrics"]
        chosen = candidate["name"] == metrics.get("winner")
        rows.append(
            html.Tr(
                [
                    html.Td(
                        [candidate["name"], " ", dbc.Badge("chosen", color="primary") if chosen else None]
                    ),
                    *[
                        html.Td(f"{_format(values.get(k))} ± {values.get(f'{k}_std', 0):.4f}")
                        for k, _label, _h in columns
                    ],
                ]
            )
        )
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Candidate"), *[html.Th(label) for _k, label, _h in columns]])),
            html.Tbody(rows),
        ],
        size="sm",
        responsive=True,
        striped=True,
        id="models-candidates-table",
    )


@callback(
    Output("models-candidates", "children"),
    Output("models-graph-a", "figure"),
    Output("models-graph-b", "figure"),
    Output("models-graph-history", "figure"),
    Output("models-graph-importance", "figure"),
    Output("models-card", "children"),
    Input("models-version", "value"),
    State("models-task", "value"),
)
def show_version(version, task):
    if version is None:
        empty = figures.empty_figure("No version", "Train a version first.")
        return html.P("No version selected.", className="text-muted"), empty, empty, empty, empty, ""
    try:
        found = models.version_diagnostics(signed_in_user(), task, int(version))
    except ServiceError as exc:
        empty = figures.empty_figure("Unavailable", exc.message)
        return alert(exc.message), empty, empty, empty, empty, ""
    details, metrics = found["details"], found["metrics"]
    heading = html.P(
        f"Cross-validated ({details.get('folds', '?')} folds) figures of every candidate, "
        "mean ± std over folds:",
        className="small text-muted mb-1",
    )
    if not task_for(task).outcome.has_interval:
        first = figures.calibration_figure(details.get("calibration_curve") or [])
        second = figures.confusion_figure(details.get("confusion_matrix"))
    else:
        coverage = (found["row"].metrics or {}).get("interval_coverage")
        first = figures.residuals_figure(details, coverage)
        second = figures.coverage_figure(
            metrics, details.get("interval_level", task_for(task).outcome.interval_level)
        )
    schema = schema_for(task)
    importance = figures.importance_figure(
        {
            "importance": {
                schema.field(k).label: v for k, v in (details.get("feature_importance") or {}).items()
            },
            "method": details.get("feature_importance_method", ""),
        },
        f"Feature importance of v{version}",
    )
    return (
        [heading, _candidates_table(task, metrics)],
        first,
        second,
        figures.history_curves_figure(details.get("keras_history")),
        importance,
        found["card"],
    )


@callback(Output("models-upload-name", "children"), Input("models-upload", "filename"))
def show_upload(filename):
    return f"Chosen: {filename}" if filename else ""


@callback(
    Output("models-job", "data"),
    Output("models-poll", "disabled"),
    Output("models-box", "hidden"),
    Output("models-message", "children"),
    Output("models-compare", "children"),
    Input("models-train", "n_clicks"),
    State("models-task", "value"),
    State("models-data", "value"),
    State("models-folds", "value"),
    State("models-candidate-choice", "value"),
    State("models-upload", "contents"),
    prevent_initial_call=True,
)
def start_training(clicks, task, data, folds, candidates, contents):
    if not clicks:
        return (no_update,) * 5
    if not candidates:
        return no_update, True, True, alert("Choose at least one candidate.", "warning"), None
    user = signed_in_user()
    try:
        upload = None
        if data == "upload":
            if not contents:
                return no_update, True, True, alert("Choose a labelled CSV to train on.", "warning"), None
            raw = base64.b64decode(contents.partition(",")[2], validate=True)
            upload = models.save_training_upload(task, io.BytesIO(raw))
        job = models.start_training(
            task, user=user, upload=upload, folds=int(folds), candidates=candidates, ip=client_ip()
        )
    except (binascii.Error, ValueError):
        return no_update, True, True, alert("The file could not be read as an upload."), None
    except ServiceError as exc:
        detail = " ".join(exc.fields.values())
        return no_update, True, True, alert(f"{exc.message} {detail}".strip()), None
    return job.id, False, False, None, None


def _comparison(task: str, result: dict[str, Any]) -> dbc.Card:
    champion = next((r for r in models.versions(task) if r.is_active), None)
    challenger = result["metrics"]
    rows = []
    for key, label, higher in _metrics(task):
        new, old = challenger.get(key), champion.metrics.get(key) if champion else None
        better = None
        if higher is not None and new is not None and old is not None and new != old:
            better = (new > old) == higher
        mark = {True: " ✓ better", False: " ✗ worse", None: ""}[better]
        rows.append(html.Tr([html.Td(label), html.Td(_format(old)), html.Td(f"{_format(new)}{mark}")]))
    champion_name = f"v{champion.version} · {champion.algorithm}" if champion else "none"
    rejected = result.get("rejected_rows") or 0
    return dbc.Card(
        dbc.CardBody(
            [
                html.H4("Champion and challenger", className="h6"),
                html.P(
                    f"New version v{result['version']} ({result['algorithm']}) trained on "
                    f"{result['rows']:,} rows"
                    + (f"; {rejected} rows were rejected" if rejected else "")
                    + ". Metrics are cross-validated.",
                    className="small",
                ),
                dbc.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th("Metric"),
                                    html.Th(f"Champion ({champion_name})"),
                                    html.Th(f"Challenger (v{result['version']})"),
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    size="sm",
                    id="models-compare-table",
                ),
                dbc.Button(
                    f"Activate v{result['version']}",
                    id={"type": "models-promote", "version": result["version"]},
                    color="danger",
                    className="me-2",
                ),
                dbc.Button("Keep the champion", id="models-keep", color="secondary", outline=True),
            ]
        ),
        className="mt-2",
        id="models-compare-card",
    )


@callback(
    Output("models-progress", "value"),
    Output("models-progress", "label"),
    Output("models-progress", "color"),
    Output("models-progress", "animated"),
    Output("models-status", "children"),
    Output("models-poll", "disabled", allow_duplicate=True),
    Output("models-compare", "children", allow_duplicate=True),
    Output("models-refresh", "data", allow_duplicate=True),
    Input("models-poll", "n_intervals"),
    State("models-job", "data"),
    State("models-refresh", "data"),
    prevent_initial_call=True,
)
def poll(_ticks, job_id, refresh):
    if not job_id:
        return (no_update,) * 5 + (True, no_update, no_update)
    try:
        job = jobs.get(job_id).to_dict()
    except ServiceError as exc:
        return 0, "", "danger", False, exc.message, True, no_update, no_update
    view = job_view(job)
    compare, bump = no_update, no_update
    if job["status"] == "succeeded":
        compare, bump = _comparison(job["params"]["task"], job["result"]), (refresh or 0) + 1
    return (
        view["value"],
        view["label"],
        view["color"],
        view["animated"],
        view["status"],
        view["done"],
        compare,
        bump,
    )


@callback(
    Output("models-confirm", "is_open"),
    Output("models-confirm-text", "children"),
    Output("models-pending", "data"),
    Input({"type": "models-activate", "version": ALL}, "n_clicks"),
    Input({"type": "models-promote", "version": ALL}, "n_clicks"),
    State("models-task", "value"),
    prevent_initial_call=True,
)
def ask_to_activate(_clicks, _promote_clicks, task):
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    version = trigger["version"]
    active = next((r for r in models.versions(task) if r.is_active), None)
    current = f"v{active.version}" if active else "no version"
    text = (
        f"{task} v{version} will serve every new prediction instead of {current}. You can switch back at any "
        "time by activating the older version."
    )
    return True, text, {"task": task, "version": version}


@callback(
    Output("models-confirm", "is_open", allow_duplicate=True),
    Output("models-message", "children", allow_duplicate=True),
    Output("models-refresh", "data", allow_duplicate=True),
    Output("models-compare", "children", allow_duplicate=True),
    Input("models-confirm-yes", "n_clicks"),
    Input("models-confirm-no", "n_clicks"),
    State("models-pending", "data"),
    State("models-refresh", "data"),
    prevent_initial_call=True,
)
def confirm_activation(_yes, _no, pending, refresh):
    if ctx.triggered_id != "models-confirm-yes" or not pending:
        return False, no_update, no_update, no_update
    try:
        row = models.activate_version(
            pending["task"], int(pending["version"]), user=signed_in_user(), ip=client_ip()
        )
    except ServiceError as exc:
        return False, alert(exc.message), no_update, no_update
    message = alert(
        f"{row.task} v{row.version} ({row.algorithm}) now serves every new prediction.", "success"
    )
    return False, message, (refresh or 0) + 1, None


@callback(
    Output("models-message", "children", allow_duplicate=True),
    Output("models-compare", "children", allow_duplicate=True),
    Input("models-keep", "n_clicks"),
    prevent_initial_call=True,
)
def keep_champion(clicks):
    if not clicks:
        return no_update, no_update
    return alert("The champion keeps serving; the new version stays available in the list.", "info"), None
