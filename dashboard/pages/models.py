"""Models (administrators): versions and their metrics side by side, a version's diagnostics, retraining
as a job with live progress, and champion/challenger activation or rollback with a confirmation."""

from __future__ import annotations

import base64
import binascii
import io
import re

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import early_warning_models, fairness_table
from dashboard.components.confirm import confirm_dialog, confirmed
from dashboard.components.form_models import candidates_table, comparison, retrain_card, versions_table
from dashboard.components.forms import alert
from dashboard.components.jobs import follow_job, progress_callback_io
from dashboard.components.model_cards import figure_card
from dashboard.components.shell import page_header
from modelling.tasks import TASK_NAMES, schema_for, task_for, task_options
from server.security import client_ip
from services import model_versions as models
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
            retrain_card(running.id if running else None),
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
                    figure_card("models-graph-a", "diagnostic-1"),
                    figure_card("models-graph-b", "diagnostic-2"),
                    figure_card("models-graph-history", "keras-history"),
                    figure_card("models-graph-importance", "importance", figures.IMPORTANCE_HEIGHT),
                ]
            ),
            html.Details(
                [html.Summary("Model card"), dcc.Markdown(id="models-card", className="mt-2")],
                className="mb-4",
            ),
            confirm,
            dcc.Store(id="models-refresh", data=0),
            early_warning_models.section(),
        ]
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
    return versions_table(task, rows), options, active


@callback(
    Output("models-candidate-choice", "options"),
    Output("models-candidate-choice", "value"),
    Input("models-task", "value"),
)
def show_candidates(task):
    from modelling.train import candidate_names

    names = candidate_names(task)
    return [{"label": n.replace("_", " "), "value": n} for n in names], names


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
            candidates_table(task, metrics),
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


@callback(*progress_callback_io("models", "models-compare", "models-refresh"), prevent_initial_call=True)
def poll(_ticks, job_id, refresh):
    return follow_job(job_id, refresh, lambda job, _view: comparison(job["params"]["task"], job["result"]))


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
    if not confirmed("models") or not pending:
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
