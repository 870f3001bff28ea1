"""The early-warning part of the Models page: its versions with their ROC AUC by checkpoint day and gate,
a version's diagnostics, retraining on finished courses and activation."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import early_warning_figures as ew_figures
from dashboard.components import fairness_table
from dashboard.components.confirm import confirm_dialog, confirmed
from dashboard.components.forms import alert
from dashboard.components.jobs import follow_job, job_progress, progress_callback_io
from dashboard.components.model_cards import figure_card, metric_text
from dashboard.components.tables import activate_cell, header_row, when
from modelling.tasks import EARLY_WARNING
from server.security import client_ip
from services import model_versions
from services.early_warning import training as ew_training
from services.early_warning import versions as ew_versions
from services.errors import ServiceError

EW = EARLY_WARNING


def section() -> html.Div:
    running = ew_training.training_in_progress()
    return html.Div(
        [
            html.Hr(className="my-4"),
            html.H2(EW.label, className="h4"),
            html.P(
                "One model per checkpoint day, chosen and judged by cross-validation that holds out whole "
                "courses: every figure is measured on courses the model never saw. The chosen one is the "
                f"simplest candidate within {EW.course.selection_tolerance:g} ROC AUC of the best: a smaller "
                "gain "
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
                    figure_card("models-ew-auc", "auc-by-checkpoint"),
                    figure_card("models-ew-calibration", "calibration"),
                ]
            ),
            dcc.Loading(html.Div(id="models-ew-candidates")),
            confirm_dialog("models-ew", "Activate this early-warning version?", "Yes, activate"),
            dcc.Store(id="models-ew-refresh", data=0),
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
                        choice("Checkpoint days", "models-ew-checkpoints", EW.course.checkpoints),
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
    return [html.Td(metric_text(auc.get(str(day)))) for day in EW.course.checkpoints]


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
    head = [
        "Version",
        "Models",
        "Trained",
        "Data",
        *[f"ROC AUC day {d}" for d in EW.course.checkpoints],
        "Gate",
        "",
    ]
    body = []
    for row in rows:
        body.append(
            html.Tr(
                [
                    html.Td(f"v{row.version}"),
                    html.Td(row.algorithm),
                    html.Td(when(row.created_at)),
                    html.Td(f"{row.data_source}, {row.rows:,} enrollments"),
                    *_auc_cells(row),
                    _gate_cell(row),
                    activate_cell(row.version, row.is_active, "models-ew-activate"),
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
                        *[html.Td(metric_text(values.get(key))) for key, _label in columns],
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
    if not confirmed("models-ew") or not pending:
        return False, no_update, no_update
    try:
        # The dialog showed the gate's reasons: clicking yes is the confirmation.
        row = model_versions.activate_version(
            EW.name, int(pending["version"]), user=signed_in_user(), ip=client_ip(), confirm=True
        )
    except ServiceError as exc:
        return False, alert(exc.message), no_update
    return False, alert(f"Early-warning v{row.version} now serves.", "success"), (refresh or 0) + 1
