"""Models (administrators): versions and their metrics side by side, a version's diagnostics, retraining
as a job with live progress, and champion/challenger activation or rollback with a confirmation."""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import early_warning_figures as ew_figures
from dashboard.components import fairness_table
from dashboard.components.confirm import confirm_dialog
from dashboard.components.forms import alert, csv_upload
from dashboard.components.jobs import follow_job, job_progress, progress_callback_io
from dashboard.components.shell import page_header
from dashboard.components.tables import header_row, when
from modelling.schemas import schema_for
from modelling.tasks import EARLY_WARNING, TASK_NAMES, task_for, task_options
from server.security import client_ip
from services import model_versions as models
from services.early_warning import training as ew_training
from services.early_warning import versions as ew_versions
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
                html.H2("Retrain", className="h5"),
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
            html.H2("Versions", className="h5"),
            dcc.Loading(html.Div(id="models-versions")),
            _retrain_card(running.id if running else None),
            html.H2("A version in detail", className="h5"),
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
            _early_warning_section(),
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
        [html.Thead(header_row(head)), html.Tbody(body)],
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
        [
            heading,
            _candidates_table(task, metrics),
            fairness_table.section(found["row"].fairness, "models-fairness"),
        ],
        first,
        second,
        figures.history_curves_figure(details.get("keras_history")),
        importance,
        _under_page_title(found["card"]),
    )


def _under_page_title(markdown: str) -> str:
    """The model card's headings two levels down: the page has its one h1, the card sits under h3s."""
    return re.sub(r"^(#{1,4}) ", r"##\1 ", markdown or "", flags=re.MULTILINE)


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
                html.H3("Champion and challenger", className="h6"),
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


@callback(*progress_callback_io("models", "models-compare", "models-refresh"), prevent_initial_call=True)
def poll(_ticks, job_id, refresh):
    return follow_job(job_id, refresh, lambda job, _view: _comparison(job["params"]["task"], job["result"]))


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
    refused = models.refusal_reasons(task, version)
    if refused:  # confirming activates it all the same, as the early-warning section does
        text = [text, html.Strong(" The evaluation gate refused it:"), html.Ul([html.Li(r) for r in refused])]
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
            pending["task"], int(pending["version"]), user=signed_in_user(), ip=client_ip(), confirm=True
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


# Early warning: one model per checkpoint, trained on the finished courses in the store.

EW = EARLY_WARNING


def _early_warning_section() -> html.Div:
    running = ew_training.training_in_progress()
    return html.Div(
        [
            html.Hr(className="my-4"),
            html.H2(EW.label, className="h4"),
            html.P(
                "One model per checkpoint day, chosen and judged by cross-validation that holds out whole "
                "courses: every figure is measured on courses the model never saw. The chosen one is the "
                f"simplest candidate within {EW.selection_tolerance:g} ROC AUC of the best: a smaller gain "
                "is within what the choice of held-out courses alone moves.",
                className="text-muted small",
            ),
            html.Div(id="models-ew-message"),
            dcc.Loading(html.Div(id="models-ew-versions")),
            _ew_retrain_card(running.id if running else None),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Early-warning version", html_for="models-ew-version"),
                        dcc.Dropdown(id="models-ew-version", clearable=False),
                    ],
                    md=4,
                ),
                className="mb-2",
            ),
            html.Div(id="models-ew-gate"),
            dbc.Row(
                [
                    _figure("models-ew-auc", "auc-by-checkpoint"),
                    _figure("models-ew-calibration", "calibration"),
                ]
            ),
            dcc.Loading(html.Div(id="models-ew-candidates")),
            confirm_dialog("models-ew", "Activate this early-warning version?", "Yes, activate"),
            dcc.Store(id="models-ew-refresh", data=0),
            dcc.Store(id="models-ew-pending"),
        ],
        id="models-ew-section",
    )


def _ew_retrain_card(running_job_id: int | None) -> dbc.Card:
    def choice(label: str, component_id: str, values: tuple) -> dbc.Col:
        options = [{"label": str(v).replace("_", " "), "value": v} for v in values]
        return dbc.Col(
            [
                dbc.Label(label, html_for=component_id),
                dbc.Checklist(id=component_id, options=options, value=list(values), inline=True),
            ],
            md=4,
        )

    return dbc.Card(
        dbc.CardBody(
            [
                html.H3("Retrain early warning on the finished courses", className="h5"),
                dbc.Row(
                    [
                        choice("Checkpoint days", "models-ew-checkpoints", EW.checkpoints),
                        choice("Candidates", "models-ew-candidate-choice", EW.candidates),
                        dbc.Col(
                            dbc.Switch(
                                id="models-ew-activate-new",
                                label="Activate it if it passes the evaluation gate",
                                value=False,
                            ),
                            md=4,
                        ),
                    ],
                    className="mb-2",
                ),
                dbc.Button("Start training", id="models-ew-train", color="primary", className="mb-2"),
                job_progress("models-ew", running_job_id),
            ]
        ),
        className="my-3",
    )


def _auc_cells(row) -> list:
    auc = row.metrics.get("auc_by_checkpoint") or {}
    return [html.Td(_format(auc.get(str(day)))) for day in EW.checkpoints]


def _gate_cell(row) -> html.Td:
    reasons = ew_versions.refused(row)
    if not reasons:
        return html.Td(dbc.Badge("passed", color="success"))
    return html.Td(dbc.Badge("refused", color="danger", title="; ".join(reasons)))


def _ew_versions_table(rows: list) -> Any:
    if not rows:
        return html.P(
            "No early-warning version yet. Train one below once finished courses with outcomes are imported.",
            className="text-muted",
        )
    head = ["Version", "Models", "Trained", "Data", *[f"ROC AUC day {d}" for d in EW.checkpoints], "Gate", ""]
    body = []
    for row in rows:
        action = (
            dbc.Badge("active", color="success")
            if row.is_active
            else dbc.Button(
                "Activate",
                id={"type": "models-ew-activate", "version": row.version},
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
                    html.Td(f"{row.data_source}, {row.rows:,} enrollments"),
                    *_auc_cells(row),
                    _gate_cell(row),
                    html.Td(action),
                ],
                className="table-success" if row.is_active else None,
                id=f"models-ew-row-{row.version}",
            )
        )
    return dbc.Table(
        [html.Thead(header_row(head)), html.Tbody(body)],
        hover=True,
        responsive=True,
        size="sm",
        id="models-ew-versions-table",
    )


@callback(
    Output("models-ew-versions", "children"),
    Output("models-ew-version", "options"),
    Output("models-ew-version", "value"),
    Input("models-ew-refresh", "data"),
)
def show_ew_versions(_refresh):
    rows = ew_versions.versions()
    options = [
        {"label": f"v{r.version} · {r.algorithm}{' (active)' if r.is_active else ''}", "value": r.version}
        for r in rows
    ]
    active = next((r.version for r in rows if r.is_active), rows[0].version if rows else None)
    return _ew_versions_table(rows), options, active


def _ew_candidates_table(metrics: dict[str, Any]) -> dbc.Table:
    columns = [(m.key, m.label) for m in EW.metrics]
    rows = []
    for day, checkpoint in sorted((metrics.get("checkpoints") or {}).items(), key=lambda item: int(item[0])):
        for name, values in sorted(checkpoint["candidates"].items()):
            chosen = name == checkpoint["algorithm"]
            rows.append(
                html.Tr(
                    [
                        html.Td(f"day {day}"),
                        html.Td(
                            [
                                name.replace("_", " "),
                                " ",
                                dbc.Badge("chosen", color="primary") if chosen else None,
                            ]
                        ),
                        *[html.Td(_format(values.get(key))) for key, _label in columns],
                    ],
                    className="fw-semibold" if chosen else None,
                )
            )
    return dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [html.Th("Checkpoint"), html.Th("Candidate"), *[html.Th(label) for _k, label in columns]]
                )
            ),
            html.Tbody(rows),
        ],
        size="sm",
        responsive=True,
        striped=True,
        id="models-ew-candidates-table",
    )


def _gate_message(row) -> Any:
    verdict = row.metrics.get("gate") or {}
    reasons = ew_versions.refused(row)
    against = f"v{verdict['against']}" if verdict.get("against") else "no active version"
    if not reasons:
        return alert(
            f"v{row.version} passed the evaluation gate (floor {verdict.get('floor', 0):.2f}, largest drop "
            f"{verdict.get('margin', 0):.2f}, against {against}).",
            "success",
        )
    return dbc.Alert(
        [
            html.Strong(f"v{row.version} was refused by the evaluation gate (against {against}):"),
            html.Ul([html.Li(reason) for reason in reasons], className="mb-0"),
        ],
        color="warning",
        id="models-ew-refused",
    )


@callback(
    Output("models-ew-gate", "children"),
    Output("models-ew-auc", "figure"),
    Output("models-ew-calibration", "figure"),
    Output("models-ew-candidates", "children"),
    Input("models-ew-version", "value"),
)
def show_ew_version(version):
    if version is None:
        empty = figures.empty_figure("No version", "Train an early-warning version first.")
        return None, empty, empty, None
    try:
        row = ew_versions.find(int(version))
    except ServiceError as exc:
        empty = figures.empty_figure("Unavailable", exc.message)
        return alert(exc.message), empty, empty, None
    metrics = row.metrics
    courses = ", ".join(metrics.get("courses") or [])
    left_out = metrics.get("left_out_enrollments") or 0
    note = html.P(
        f"Trained on {row.rows:,} enrollments of {courses}"
        + (f" ({left_out} without an outcome left out)" if left_out else "")
        + ". Figures: mean over folds that each hold out whole courses.",
        className="small text-muted mb-1",
    )
    floor = (metrics.get("gate") or {}).get("floor")
    return (
        _gate_message(row),
        ew_figures.auc_by_checkpoint_figure(metrics, floor),
        ew_figures.calibration_by_checkpoint_figure(metrics),
        [note, _ew_candidates_table(metrics), fairness_table.section(row.fairness, "models-ew-fairness")],
    )


@callback(
    Output("models-ew-job", "data"),
    Output("models-ew-poll", "disabled"),
    Output("models-ew-box", "hidden"),
    Output("models-ew-message", "children"),
    Input("models-ew-train", "n_clicks"),
    State("models-ew-checkpoints", "value"),
    State("models-ew-candidate-choice", "value"),
    State("models-ew-activate-new", "value"),
    prevent_initial_call=True,
)
def start_ew_training(clicks, checkpoints, candidates, activate):
    if not clicks:
        return (no_update,) * 4
    if not checkpoints or not candidates:
        return no_update, True, True, alert("Choose at least one checkpoint and one candidate.", "warning")
    try:
        job = ew_training.start_training(
            user=signed_in_user(),
            activate=bool(activate),
            checkpoints=",".join(str(day) for day in sorted(checkpoints)),
            candidates=candidates,
            ip=client_ip(),
        )
    except ServiceError as exc:
        return no_update, True, True, alert(f"{exc.message} {' '.join(exc.fields.values())}".strip())
    return job.id, False, False, None


def _ew_outcome(result: dict[str, Any]) -> Any:
    gate = result.get("gate") or {}
    if result.get("active"):
        return alert(f"v{result['version']} passed the evaluation gate and now serves.", "success")
    if not gate.get("passed"):
        return alert(
            f"v{result['version']} was trained but refused by the evaluation gate: "
            f"{'; '.join(gate.get('reasons') or [])}. It stays in the list; activating it asks to confirm.",
            "warning",
        )
    return alert(
        f"v{result['version']} was trained and passed the evaluation gate; activate it below.", "info"
    )


@callback(
    *progress_callback_io("models-ew", "models-ew-message", "models-ew-refresh"), prevent_initial_call=True
)
def poll_ew(_ticks, job_id, refresh):
    return follow_job(job_id, refresh, lambda job, _view: _ew_outcome(job["result"]))


@callback(
    Output("models-ew-confirm", "is_open"),
    Output("models-ew-confirm-text", "children"),
    Output("models-ew-pending", "data"),
    Input({"type": "models-ew-activate", "version": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_activate_ew(_clicks):
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered[0]["value"]:
        return no_update, no_update, no_update
    version = trigger["version"]
    try:
        row = ew_versions.find(int(version))
    except ServiceError as exc:
        return True, exc.message, None
    active = next((r for r in ew_versions.versions() if r.is_active), None)
    current = f"v{active.version}" if active else "no version"
    text: list = [
        html.P(
            f"Early-warning v{version} will score every course from the next run on, instead of {current}."
        )
    ]
    reasons = ew_versions.refused(row)
    if reasons:
        text += [
            html.P(html.Strong("The evaluation gate refused this version:"), className="mb-1"),
            html.Ul([html.Li(reason) for reason in reasons], id="models-ew-confirm-reasons"),
            html.P("Activate it anyway?"),
        ]
    return True, text, {"version": version}


@callback(
    Output("models-ew-confirm", "is_open", allow_duplicate=True),
    Output("models-ew-message", "children", allow_duplicate=True),
    Output("models-ew-refresh", "data", allow_duplicate=True),
    Input("models-ew-confirm-yes", "n_clicks"),
    Input("models-ew-confirm-no", "n_clicks"),
    State("models-ew-pending", "data"),
    State("models-ew-refresh", "data"),
    prevent_initial_call=True,
)
def confirm_ew_activation(_yes, _no, pending, refresh):
    if ctx.triggered_id != "models-ew-confirm-yes" or not pending:
        return False, no_update, no_update
    try:
        # The dialog showed the gate's reasons: clicking yes is the confirmation.
        row = models.activate_version(
            EW.name, int(pending["version"]), user=signed_in_user(), ip=client_ip(), confirm=True
        )
    except ServiceError as exc:
        return False, alert(exc.message), no_update
    return False, alert(f"Early-warning v{row.version} now serves.", "success"), (refresh or 0) + 1
