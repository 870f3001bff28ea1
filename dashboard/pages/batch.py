"""Batch scoring (administrators): upload a CSV (either naming), score it as a job with a progress bar,
preview the results and the rows with errors, download the scored file, optionally save the rows."""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components.forms import alert, csv_upload
from dashboard.components.jobs import job_progress, job_view
from dashboard.components.shell import page_header
from modelling.tasks import TASK_NAMES, task_options
from server.security import client_ip
from services import batch, jobs
from services.errors import ServiceError

PATH = "/batch"
dash.register_page(
    __name__,
    path=PATH,
    title="Batch scoring",
    name="Batch scoring",
    access="admin",
    nav=True,
    order=45,
    description="Score a whole CSV file, see rows with errors, download the result.",
)


@page("admin", PATH)
def layout(user, **_query):
    form = dbc.Card(
        dbc.CardBody(
            [
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Task", html_for="batch-task"),
                                dbc.RadioItems(
                                    id="batch-task", options=task_options(), value=TASK_NAMES[0], inline=True
                                ),
                            ],
                            md=4,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Records", html_for="batch-save"),
                                dbc.Checklist(
                                    id="batch-save",
                                    options=[{"label": "Save every good row as a record", "value": "save"}],
                                    value=[],
                                    switch=True,
                                ),
                            ],
                            md=8,
                        ),
                    ],
                    className="mb-2",
                ),
                dbc.Label(
                    "CSV file (snake_case or the data set's original headers)", html_for="batch-upload"
                ),
                html.Div(csv_upload("batch-upload", "Drag a CSV here or"), className="mb-2"),
                html.Div(id="batch-filename", className="small text-muted mb-2"),
                dbc.Button("Score the file", id="batch-submit", color="primary"),
            ]
        ),
        className="mb-3",
    )
    return html.Div(
        [
            page_header(
                "Batch scoring",
                "Rows that fail validation keep their values and get the reason in an error column; the "
                "others are scored.",
            ),
            form,
            html.Div(id="batch-message"),
            job_progress("batch"),
            dcc.Loading(html.Div(id="batch-results")),
            dcc.Download(id="batch-download"),
        ]
    )


@callback(Output("batch-filename", "children"), Input("batch-upload", "filename"))
def show_filename(filename):
    return f"Chosen: {filename}" if filename else "No file chosen yet."


def _spool(contents: str) -> Path:
    _header, _, data = contents.partition(",")
    raw = base64.b64decode(data, validate=True)
    handle, name = tempfile.mkstemp(prefix="ssa-batch-upload-", suffix=".csv")
    with os.fdopen(handle, "wb") as out:
        out.write(raw)
    return Path(name)


@callback(
    Output("batch-job", "data"),
    Output("batch-poll", "disabled"),
    Output("batch-box", "hidden"),
    Output("batch-message", "children"),
    Output("batch-results", "children"),
    Input("batch-submit", "n_clicks"),
    State("batch-upload", "contents"),
    State("batch-upload", "filename"),
    State("batch-task", "value"),
    State("batch-save", "value"),
    prevent_initial_call=True,
)
def start(clicks, contents, filename, task, save):
    if not clicks:
        return (no_update,) * 5
    if not contents:
        return no_update, True, True, alert("Choose a CSV file first.", "warning"), None
    try:
        source = _spool(contents)
    except (binascii.Error, ValueError):
        return no_update, True, True, alert(f"{filename} could not be read as an upload."), None
    try:
        job = batch.start_scoring(
            task, source, user=signed_in_user(), save="save" in (save or []), ip=client_ip()
        )
    except ServiceError as exc:
        source.unlink(missing_ok=True)
        return no_update, True, True, alert(exc.message), None
    return job.id, False, False, None, None


def _grid(grid_id: str, rows: list[dict], columns: list[str]) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=[{"field": c, "minWidth": 110} for c in columns],
        defaultColDef={"sortable": True, "resizable": True, "filter": True},
        dashGridOptions={"domLayout": "autoHeight"},
        style={"height": None},
    )


def _results(job: dict) -> html.Div:
    result = job["result"]
    preview = batch.result_preview(job["id"])
    summary = dbc.Alert(
        [
            html.Strong(
                f"{result['rows']:,} rows: {result['scored']:,} scored, {result['rejected']:,} with errors"
            ),
            f" (model {result['task']} v{result['version']}"
            + (", good rows saved as records)." if result["saved"] else ")."),
        ],
        color="success" if not result["rejected"] else "warning",
        id="batch-summary",
    )
    errors = (
        _grid("batch-errors", preview["errors"], list(preview["errors"][0]))
        if preview["errors"]
        else html.P("No row has an error.", className="text-muted")
    )
    return html.Div(
        [
            summary,
            dbc.Button(
                "Download the scored file", id="batch-download-button", color="primary", className="mb-3"
            ),
            html.H2("First rows of the result", className="h5"),
            _grid("batch-preview", preview["head"], preview["columns"]),
            html.H2("Rows with errors", className="h5 mt-3"),
            html.Div(errors, id="batch-error-rows"),
        ]
    )


@callback(
    Output("batch-progress", "value"),
    Output("batch-progress", "label"),
    Output("batch-progress", "color"),
    Output("batch-progress", "animated"),
    Output("batch-status", "children"),
    Output("batch-poll", "disabled", allow_duplicate=True),
    Output("batch-results", "children", allow_duplicate=True),
    Input("batch-poll", "n_intervals"),
    State("batch-job", "data"),
    prevent_initial_call=True,
)
def poll(_ticks, job_id):
    if not job_id:
        return (no_update,) * 5 + (True, no_update)
    try:
        job = jobs.get(job_id).to_dict()
    except ServiceError as exc:
        return 0, "", "danger", False, exc.message, True, no_update
    view = job_view(job)
    results = no_update
    if job["status"] == "succeeded":
        try:
            results = _results(job)
        except ServiceError as exc:
            results = alert(exc.message)
    return (
        view["value"],
        view["label"],
        view["color"],
        view["animated"],
        view["status"],
        view["done"],
        results,
    )


@callback(
    Output("batch-download", "data"),
    Output("batch-message", "children", allow_duplicate=True),
    Input("batch-download-button", "n_clicks"),
    State("batch-job", "data"),
    State("batch-task", "value"),
    prevent_initial_call=True,
)
def download(clicks, job_id, task):
    if not clicks or not job_id:
        return no_update, no_update
    try:
        path = batch.scored_file(job_id)
    except ServiceError as exc:
        return no_update, alert(exc.message)
    task = jobs.get(job_id).params.get("task", task)
    return dcc.send_file(str(path), filename=f"{task}-scored.csv"), None
