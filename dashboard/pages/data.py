"""Data (administrators): how learner activity comes in. One card per way in: API keys for platforms'
scripts (create, shown once; list; revoke with a confirmation), an activity file upload (a job with a
progress bar, then its summary and error report), an outcomes upload, and the history of imports."""

from __future__ import annotations

import base64
import binascii
import io

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from dashboard.access import page, signed_in_user
from dashboard.components import score_now
from dashboard.components.contacts_card import contacts_card
from dashboard.components.forms import alert
from dashboard.components.import_report import activity_report, outcomes_report
from dashboard.components.jobs import follow_job, job_progress, progress_callback_io
from dashboard.components.keys_card import keys_card
from dashboard.components.local_time_fields import local_time_fields, local_time_style
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from dashboard.components.templates_card import templates_card
from services.errors import ServiceError
from services.ingest import uploads
from services.ingest.resolve import CODE_MAX
from services.ingest.store import FORMATS
from services.links import course_settings_href

PATH = "/data"
dash.register_page(
    __name__,
    path=PATH,
    title="Data",
    name="Data",
    access="admin",
    nav=True,
    order=65,
    description="How learner activity comes in: platforms' API keys, file uploads, the imports so far.",
)
# No filter on the file picker: the format is read from the content, and rotated logs have names such
# as tracking.log.1 or tracking.log-20230523 that no extension list admits.
ACCEPTED_FILES = None
HISTORY_SIZE = 20


@page("admin", PATH)
def layout(user, **_query):
    # Each way activity comes in is one card in this row; the history of imports closes it.
    cards = [
        dbc.Col(keys_card(), xs=12),
        dbc.Col(_upload_card(), xs=12),
        dbc.Col(_outcomes_card(), xs=12),
        dbc.Col(contacts_card(), xs=12),
        dbc.Col(templates_card(), xs=12),
        dbc.Col(_history_card(), xs=12),
    ]
    return html.Div(
        [
            page_header("Data", "How learner activity comes in from learning platforms."),
            html.P(
                [
                    "A course's title or window wrong, or a course to remove: ",
                    dcc.Link("Course settings", href=course_settings_href(), id="data-course-settings-link"),
                    ".",
                ],
                className="mb-3",
            ),
            dbc.Row(cards, id="data-cards"),
        ]
    )


def _drop_zone(upload_id: str, accept: str | None) -> dcc.Upload:
    return dcc.Upload(
        id=upload_id,
        children=html.Div(["Drag a file here or ", html.A("choose a file", href="#")]),
        accept=accept,
        max_size=-1,
        className="border border-2 rounded p-3 text-center bg-light",
    )


def _field(label: str, control, md: int) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=control.id), control], md=md)


def _upload_card() -> dbc.Card:
    formats = [{"label": "Detect from the file", "value": "auto"}] + [
        {"label": name, "value": name} for name in FORMATS if name != "auto"
    ]
    options = dbc.Row(
        [
            _field("Format", dbc.Select(id="data-import-format", options=formats, value="auto"), 3),
            _field(
                "Course code (rows without one)", dbc.Input(id="data-import-course", maxLength=CODE_MAX), 3
            ),
            _field("Start date of a new course", dbc.Input(id="data-import-start", type="date"), 3),
            _field(
                "Length in days", dbc.Input(id="data-import-days", type="number", min=1, placeholder="30"), 3
            ),
            local_time_fields("data-import"),
            dbc.Col(
                dbc.Checklist(
                    id="data-import-rebase",
                    options=[{"label": "Move the file's dates onto the course's window (an old export for a"
                              " pilot: its first day becomes the course's day 0)", "value": "rebase"}],
                    value=[],
                ),
                xs=12,
            ),
        ],
        className="g-2 mb-2",
    )
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Upload activity", className="h5 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        "A daily CSV, an events CSV, xAPI statements (JSON or JSON lines), an Open edX "
                        "tracking log, a Moodle logs download (CSV or Excel) or IMS Caliper events. Bad "
                        "lines are reported with their number; the good ones are stored.",
                        className="text-muted",
                    ),
                    _drop_zone("data-import-upload", ACCEPTED_FILES),
                    html.Div(id="data-import-filename", className="small text-muted my-2"),
                    options,
                    dbc.Button("Import the file", id="data-import-submit", color="primary", className="mb-2"),
                    html.Div(id="data-import-message"),
                    job_progress("data-import"),
                    html.Div(id="data-import-result"),
                    score_now.score_area("data"),
                ]
            ),
        ],
        className="mb-3",
        id="data-import-card",
    )


@callback(Output("data-import-local-times", "style"), Input("data-import-format", "value"))
def show_local_time_fields(fmt):
    return local_time_style(fmt)


@callback(Output("data-import-filename", "children"), Input("data-import-upload", "filename"))
def show_import_filename(filename):
    return f"Chosen: {filename}" if filename else "No file chosen yet."


def _decoded(contents: str) -> io.BytesIO:
    """The bytes of a dcc.Upload's `contents` (a base64 data URL)."""
    _header, _, data = contents.partition(",")
    return io.BytesIO(base64.b64decode(data, validate=True))


def _invalid(exc: ServiceError) -> dbc.Alert:
    details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
    return alert(f"{exc.message} {details}".strip())


@callback(
    Output("data-import-job", "data"),
    Output("data-import-poll", "disabled"),
    Output("data-import-box", "hidden"),
    Output("data-import-message", "children"),
    Output("data-import-result", "children"),
    Input("data-import-submit", "n_clicks"),
    State("data-import-upload", "contents"),
    State("data-import-upload", "filename"),
    State("data-import-format", "value"),
    State("data-import-course", "value"),
    State("data-import-start", "value"),
    State("data-import-days", "value"),
    State("data-import-rebase", "value"),
    State("data-import-date-order", "value"),
    State("data-import-time-zone", "value"),
    prevent_initial_call=True,
)
def start_import(clicks, contents, filename, fmt, course, start, days, rebase, date_order, time_zone):
    if not clicks:
        return (no_update,) * 5
    if not contents:
        return no_update, True, True, alert("Choose a file first.", "warning"), None
    try:
        stream = _decoded(contents)
    except (binascii.Error, ValueError):
        return no_update, True, True, alert(f"{filename} could not be read as an upload."), None
    try:
        job = uploads.upload_activity(
            stream,
            file_name=filename or "upload",
            fmt=fmt,
            course=course,
            start=start,
            days=days,
            rebase="rebase" in (rebase or []),
            date_order=date_order,
            time_zone=time_zone,
            user=signed_in_user(),
        )
    except ServiceError as exc:
        return no_update, True, True, _invalid(exc), None
    return job.id, False, False, None, None


@callback(
    *progress_callback_io("data-import", "data-import-result", "data-history-version"),
    prevent_initial_call=True,
)
def follow_import(_ticks, job_id, history_version):
    return follow_job(job_id, history_version, _import_finished)


def _import_finished(job: dict, view: dict):
    """The import's report; a run that failed inside a job that ran says so on the bar."""
    if job["result"]["status"] == "failed":
        view.update(color="danger", status="The import failed: see below.")
    return [activity_report("data-import", job["result"]), score_now.after_import("data", job["result"])]


score_now.register("data", link_course=True)


# --- Upload outcomes -----------------------------------------------------------------------------------


def _outcomes_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(html.H2("Upload outcomes", className="h5 mb-0")),
            dbc.CardBody(
                [
                    html.P(
                        [
                            "A CSV with ",
                            html.Code("enrollment_id,label"),
                            " (1 = dropped out, 0 = stayed) and optionally ",
                            html.Code("course_id"),
                            ", for enrollments whose activity was imported.",
                        ],
                        className="text-muted",
                    ),
                    _drop_zone("data-outcomes-upload", ".csv,text/csv"),
                    html.Div(id="data-outcomes-filename", className="small text-muted my-2"),
                    dbc.Row(
                        [
                            _field(
                                "Course code (rows without one)",
                                dbc.Input(id="data-outcomes-course", maxLength=CODE_MAX),
                                4,
                            ),
                            dbc.Col(
                                dbc.Button("Import the outcomes", id="data-outcomes-submit", color="primary"),
                                md=4,
                                className="mt-auto",
                            ),
                        ],
                        className="g-2 mb-2",
                    ),
                    dcc.Loading(html.Div(id="data-outcomes-result")),
                ]
            ),
        ],
        className="mb-3",
        id="data-outcomes-card",
    )


@callback(Output("data-outcomes-filename", "children"), Input("data-outcomes-upload", "filename"))
def show_outcomes_filename(filename):
    return f"Chosen: {filename}" if filename else "No file chosen yet."


@callback(
    Output("data-outcomes-result", "children"),
    Input("data-outcomes-submit", "n_clicks"),
    State("data-outcomes-upload", "contents"),
    State("data-outcomes-upload", "filename"),
    State("data-outcomes-course", "value"),
    prevent_initial_call=True,
)
def import_outcomes(clicks, contents, filename, course):
    if not clicks:
        return no_update
    if not contents:
        return alert("Choose a file first.", "warning")
    try:
        stream = _decoded(contents)
    except (binascii.Error, ValueError):
        return alert(f"{filename} could not be read as an upload.")
    try:
        report = uploads.import_outcomes_upload(stream, file_name=filename or "outcomes.csv", course=course)
    except ServiceError as exc:
        return _invalid(exc)
    return outcomes_report("data-outcomes", report.to_dict())


# --- Import history ------------------------------------------------------------------------------------


def _history_card() -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(
                dbc.Row(
                    [
                        dbc.Col(html.H2("Import history", className="h5 mb-0")),
                        dbc.Col(
                            dbc.Button("Refresh", id="data-history-refresh", size="sm", outline=True),
                            width="auto",
                        ),
                    ],
                    align="center",
                )
            ),
            dbc.CardBody(
                [
                    html.P(
                        f"The {HISTORY_SIZE} most recent imports (files and platforms' pushes); open one for "
                        "its error report.",
                        className="text-muted",
                    ),
                    dcc.Loading(html.Div(id="data-history-table")),
                    dcc.Store(id="data-history-version", data=0),
                    dbc.Modal(
                        [
                            dbc.ModalHeader(dbc.ModalTitle(id="data-history-title")),
                            dbc.ModalBody(id="data-history-report"),
                        ],
                        id="data-history-modal",
                        size="xl",
                        scrollable=True,
                        is_open=False,
                    ),
                ]
            ),
        ],
        className="mb-3",
        id="data-history-card",
    )


STATUS_COLORS = {"done": "success", "failed": "danger", "running": "info"}


def _history_row(run: dict) -> html.Tr:
    return html.Tr(
        [
            html.Td(run["file_name"]),
            html.Td(run["format"]),
            html.Td(when(run["started_at"])),
            html.Td(run["user"] or "platform"),
            html.Td(dbc.Badge(run["status"], color=STATUS_COLORS.get(run["status"], "secondary"))),
            html.Td(f"{run['rows_imported']:,}", className="text-end"),
            html.Td(f"{run['rejected']:,}", className="text-end"),
            html.Td(
                dbc.Button(
                    "Report",
                    id={"type": "data-history-open", "index": run["id"]},
                    size="sm",
                    outline=True,
                )
            ),
        ],
        id=f"data-history-row-{run['id']}",
    )


@callback(
    Output("data-history-table", "children"),
    Input("data-history-version", "data"),
    Input("data-history-refresh", "n_clicks"),
)
def show_history(_version, _refresh):
    runs = uploads.runs(1, HISTORY_SIZE).items
    if not runs:
        return html.P("No import yet.", className="text-muted", id="data-history-empty")
    titles = ("File", "Format", "Started", "By", "Status", "Rows", "Rejected", "")
    head = html.Thead(html.Tr([html.Th(title) for title in titles]))
    body = html.Tbody([_history_row(run) for run in runs])
    return dbc.Table([head, body], hover=True, responsive=True, size="sm", id="data-history-list")


@callback(
    Output("data-history-modal", "is_open"),
    Output("data-history-title", "children"),
    Output("data-history-report", "children"),
    Input({"type": "data-history-open", "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_report(_clicks):
    trigger = ctx.triggered_id
    if not trigger or not any(t["value"] for t in ctx.triggered):
        return no_update, no_update, no_update
    try:
        run = uploads.run_detail(int(trigger["index"]))
    except ServiceError as exc:
        return True, "Import", alert(exc.message)
    title = f"Import of {run['file_name']} ({when(run['started_at'])})"
    return True, title, activity_report("data-history", run)
