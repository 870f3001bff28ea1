"""Records: saved predictions in a server-side paged, sorted and filtered grid; view, delete, export."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import page, signed_in_user
from dashboard.components import toasts
from dashboard.components.figures import is_risk, level_badge
from dashboard.components.grids import refetch_rows_on_change
from dashboard.components.shell import page_header
from dashboard.components.tables import when
from modelling.levels import level_names
from modelling.schemas import NumericField
from modelling.tasks import TASKS, schema_for, task_for
from server.security import client_ip
from services import accounts, predictions, records
from services.errors import ServiceError

PATH = "/records"
PREFIX = "records"
PAGE_SIZE = 20
EXPORT_URL = "/api/v1/records/export.csv"
ANY = "any"
TASK_LABELS = {name: task.label for name, task in TASKS.items()}
dash.register_page(
    __name__,
    path=PATH,
    title="Records",
    name="Records",
    access="user",
    nav=True,
    nav_roles=("student", "admin"),  # a self-prediction page: not in a tutor's bar
    order=40,
    description="Every saved prediction: filter, sort, open, delete and export.",
)


def _columns(admin: bool) -> list[dict[str, Any]]:
    columns = [
        {"field": "id", "headerName": "#", "width": 90},
        {"field": "created_at", "headerName": "Saved (UTC)", "width": 170},
        {"field": "task", "headerName": "Prediction", "width": 140},
        {"field": "value", "headerName": "Value", "width": 110},
        {"field": "level", "headerName": "Level", "width": 170},
        {"field": "student_ref", "headerName": "Student ref", "width": 150},
        {"field": "model_version", "headerName": "Model", "width": 100},
    ]
    if admin:
        columns.append({"field": "username", "headerName": "User", "width": 150})
    return columns


def _select(field_id: str, label: str, options: list[dict[str, str]], md: int = 2) -> dbc.Col:
    return dbc.Col(
        [dbc.Label(label, html_for=field_id), dbc.Select(id=field_id, options=options, value=ANY)],
        xs=6,
        md=md,
    )


def _levels() -> list[dict[str, str]]:
    names = [n for task in TASK_LABELS for n in level_names(predictions.bands_for(task))]
    return [{"label": "Any", "value": ANY}] + [{"label": n, "value": n} for n in dict.fromkeys(names)]


def _filters(admin: bool) -> dbc.Row:
    columns = [
        _select(
            f"{PREFIX}-task",
            "Prediction",
            [{"label": "Both", "value": ANY}] + [{"label": v, "value": k} for k, v in TASK_LABELS.items()],
        ),
        _select(f"{PREFIX}-level", "Level", _levels()),
        dbc.Col(
            [
                dbc.Label("From", html_for=f"{PREFIX}-from"),
                dbc.Input(id=f"{PREFIX}-from", type="date", debounce=True),
            ],
            xs=6,
            md=2,
        ),
        dbc.Col(
            [
                dbc.Label("To", html_for=f"{PREFIX}-to"),
                dbc.Input(id=f"{PREFIX}-to", type="date", debounce=True),
            ],
            xs=6,
            md=2,
        ),
        dbc.Col(
            [
                dbc.Label("Student ref", html_for=f"{PREFIX}-student-ref"),
                dbc.Input(id=f"{PREFIX}-student-ref", debounce=True, maxlength=64, placeholder="exact"),
            ],
            xs=6,
            md=2,
        ),
    ]
    columns.append(
        dbc.Col(
            [
                dbc.Label("User", html_for=f"{PREFIX}-user"),
                dcc.Dropdown(id=f"{PREFIX}-user", placeholder="Everyone", clearable=True, searchable=True),
            ],
            xs=6,
            md=2,
            # Students only ever see their own records; the filter is kept (hidden) so callbacks match.
            style=None if admin else {"display": "none"},
        )
    )
    return dbc.Row(columns, className="g-2 mb-3")


def _modal() -> dbc.Modal:
    confirm = dbc.Collapse(
        dbc.Alert(
            [
                html.P("Delete this record? This cannot be undone.", className="mb-2"),
                dbc.Button(
                    "Yes, delete", id=f"{PREFIX}-confirm-delete", color="danger", size="sm", className="me-2"
                ),
                dbc.Button(
                    "Keep it", id=f"{PREFIX}-cancel-delete", color="secondary", size="sm", outline=True
                ),
            ],
            color="danger",
            className="mb-0",
        ),
        id=f"{PREFIX}-confirm",
        is_open=False,
    )
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=f"{PREFIX}-modal-title")),
            dbc.ModalBody(html.Div(id=f"{PREFIX}-modal-body")),
            dbc.ModalFooter(
                html.Div(
                    [
                        confirm,
                        html.Div(
                            [
                                dbc.Button(
                                    "Delete",
                                    id=f"{PREFIX}-delete",
                                    color="danger",
                                    outline=True,
                                    className="me-2",
                                ),
                                dbc.Button("Close", id=f"{PREFIX}-close", color="secondary"),
                            ],
                            className="d-flex justify-content-end mt-2",
                        ),
                    ],
                    className="w-100",
                )
            ),
        ],
        id=f"{PREFIX}-modal",
        size="lg",
        scrollable=True,
        is_open=False,
    )


NO_RECORDS = (
    "No saved predictions yet. Predict on the Exam score or Dropout page and press Save, "
    "batch-score a CSV with saving on, or (administrators) run flask --app wsgi seed-demo "
    "for a demo cohort."
)


@page("user", PATH)
def layout(user, record: str | None = None, **_query):
    grid = dag.AgGrid(
        id=f"{PREFIX}-grid",
        rowModelType="infinite",
        columnDefs=_columns(user.is_admin),
        defaultColDef={"sortable": True, "resizable": True, "filter": False},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": False,
            "cacheBlockSize": PAGE_SIZE,
            "maxBlocksInCache": 10,
            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": False},
            "localeText": {"noRowsToShow": NO_RECORDS},
        },
        getRowId="params.data.key",
        columnSize="responsiveSizeToFit",
        className="records-grid",
        style={"height": None},  # the height comes from student.css (shorter on phones)
    )
    return html.Div(
        [
            page_header(
                "Records",
                "Every saved prediction"
                + (" of every user" if user.is_admin else " of yours")
                + ". Click a row to see its inputs, outputs and model version.",
            ),
            _filters(user.is_admin),
            html.Div(
                [
                    html.Span(id=f"{PREFIX}-count", className="text-muted me-3", **{"aria-live": "polite"}),
                    html.A(
                        "Export CSV",
                        id=f"{PREFIX}-export",
                        href=EXPORT_URL,
                        className="btn btn-outline-primary btn-sm",
                        download="records.csv",
                    ),
                ],
                className="d-flex align-items-center justify-content-end mb-2",
            ),
            grid,
            dcc.Store(id=f"{PREFIX}-filters", data={}),
            dcc.Store(id=f"{PREFIX}-version", data=0),
            dcc.Store(id=f"{PREFIX}-requested", data=_record_id(record)),
            dcc.Store(id=f"{PREFIX}-open"),
            dcc.Store(id=f"{PREFIX}-refreshed"),
            _modal(),
            toasts.toast_area(PREFIX),
        ]
    )


def _record_id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 19 else None


def _day(text: str | None) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if text else None
    except ValueError:
        return None


def _to_filters(data: dict[str, Any]) -> records.RecordFilters:
    return records.RecordFilters(
        task=data.get("task") or None,
        date_from=date.fromisoformat(data["from"]) if data.get("from") else None,
        date_to=date.fromisoformat(data["to"]) if data.get("to") else None,
        level=data.get("level") or None,
        user_id=data.get("user"),
        student_ref=data.get("student_ref") or None,
    )


@callback(
    Output(f"{PREFIX}-filters", "data"),
    Output(f"{PREFIX}-export", "href"),
    Input(f"{PREFIX}-task", "value"),
    Input(f"{PREFIX}-level", "value"),
    Input(f"{PREFIX}-from", "value"),
    Input(f"{PREFIX}-to", "value"),
    Input(f"{PREFIX}-student-ref", "value"),
    Input(f"{PREFIX}-user", "value"),
    prevent_initial_call=True,
)
def set_filters(task, level, day_from, day_to, student_ref, user_id):
    data = {
        "task": None if task in (None, ANY) else task,
        "level": None if level in (None, ANY) else level,
        "from": _day(day_from),
        "to": _day(day_to),
        "student_ref": (student_ref or "").strip() or None,
        "user": user_id if signed_in_user().is_admin else None,
    }
    data = {k: v for k, v in data.items() if v is not None}
    return data, f"{EXPORT_URL}?{urlencode(data)}" if data else EXPORT_URL


refetch_rows_on_change("records-grid", PREFIX)


def _row(item: dict[str, Any]) -> dict[str, Any]:
    value = item["value"]
    return {
        "key": str(item["id"]),
        "id": item["id"],
        "created_at": when(item["created_at"]).removesuffix(" UTC"),
        "task": TASK_LABELS.get(item["task"], item["task"]),
        "value": task_for(item["task"]).outcome.headline(value),
        "level": item["level"],
        "student_ref": item["student_ref"] or "",
        "model_version": item["model_version"],
        "username": item["username"],
    }


@callback(
    Output(f"{PREFIX}-grid", "getRowsResponse"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-grid", "getRowsRequest"),
    State(f"{PREFIX}-filters", "data"),
    on_error=toasts.error_handler(PREFIX),
)
def load_rows(request, filters):
    if not request:
        raise PreventUpdate
    rows, total = records.records_window(
        signed_in_user(),
        _to_filters(filters or {}),
        request.get("startRow", 0),
        request.get("endRow", PAGE_SIZE),
        request.get("sortModel"),
    )
    count = f"{total:,} record{'' if total == 1 else 's'}"
    return {"rowData": [_row(r) for r in rows], "rowCount": total}, count


@callback(
    Output(f"{PREFIX}-user", "options"),
    Input(f"{PREFIX}-user", "search_value"),
    State(f"{PREFIX}-user", "value"),
)
def user_options(search, chosen):
    viewer = signed_in_user()
    if not viewer.is_admin:
        return []
    found = accounts.users_page(search or None, None, 1, 20).items
    options = [{"label": u["username"], "value": u["id"]} for u in found]
    if chosen and all(o["value"] != chosen for o in options):
        options.append({"label": accounts.get_user(chosen).username, "value": chosen})
    return options


def _inputs_table(task: str, inputs: dict[str, Any]) -> dbc.Table:
    schema = schema_for(task)
    rows = []
    for f in schema.fields:
        value = inputs.get(f.name)
        if value is None:
            shown = "not given"
        elif isinstance(f, NumericField):
            shown = f"{float(value):g}" + (f" {f.unit}" if f.unit else "")
        else:
            shown = str(value)
        rows.append(
            html.Tr([html.Th(f.label, scope="row", className="fw-normal text-muted"), html.Td(shown)])
        )
    return dbc.Table(html.Tbody(rows), size="sm", className="mb-0")


def _record_view(record) -> html.Div:
    task, outputs = record.task, record.outputs
    bands = predictions.bands_for(task)
    if is_risk(task):
        headline = f"{outputs['probability']:.0%} chance of dropping out"
        detail = None
    else:
        interval = outputs.get("interval") or {}
        headline = f"{outputs['score']:.1f} points"
        level = interval.get("level", task_for(task).outcome.interval_level)
        detail = f"{level:.0%} interval {interval.get('low')} to {interval.get('high')}"
    factors = outputs.get("top_factors") or []
    recommendations = outputs.get("recommendations") or []
    return html.Div(
        [
            html.Div(
                [
                    html.Span(headline, className="fs-4 fw-semibold me-2", id=f"{PREFIX}-modal-value"),
                    level_badge(task, record.level, bands),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            html.P(detail, className="text-muted mb-1") if detail else None,
            html.P(
                [
                    f"{TASK_LABELS.get(task, task)} · saved {when(record.created_at)} · model version ",
                    html.Strong(str(record.model_version), id=f"{PREFIX}-modal-version"),
                    f" · student ref {record.student_ref}" if record.student_ref else "",
                ],
                className="small text-muted",
            ),
            html.H3("Why", className="h6") if factors else None,
            html.Ul([html.Li(t) for t in factors], className="small") if factors else None,
            html.H3("Suggested changes", className="h6") if recommendations else None,
            html.Ul([html.Li(r["change"]) for r in recommendations], className="small")
            if recommendations
            else None,
            html.H3("Inputs", className="h6 mt-3"),
            _inputs_table(task, record.inputs),
        ]
    )


@callback(
    Output(f"{PREFIX}-modal", "is_open"),
    Output(f"{PREFIX}-modal-title", "children"),
    Output(f"{PREFIX}-modal-body", "children"),
    Output(f"{PREFIX}-open", "data"),
    Output(f"{PREFIX}-confirm", "is_open"),
    Input(f"{PREFIX}-grid", "cellClicked"),
    Input(f"{PREFIX}-requested", "data"),
    on_error=toasts.error_handler(PREFIX),
)
def open_record(clicked, requested):
    if ctx.triggered_id == f"{PREFIX}-grid":
        record_id = _record_id(str((clicked or {}).get("rowId") or ""))
    else:
        record_id = requested
    if record_id is None:
        raise PreventUpdate
    try:
        record = records.get_record(signed_in_user(), record_id)
    except ServiceError as exc:
        toasts.notify(PREFIX, f"Record #{record_id}", exc.message)
        return False, no_update, no_update, None, False
    return True, f"Record #{record.id}", _record_view(record), record.id, False


@callback(
    Output(f"{PREFIX}-confirm", "is_open", allow_duplicate=True),
    Input(f"{PREFIX}-delete", "n_clicks"),
    Input(f"{PREFIX}-cancel-delete", "n_clicks"),
    prevent_initial_call=True,
)
def ask_before_deleting(_delete, _cancel):
    return ctx.triggered_id == f"{PREFIX}-delete"


@callback(
    Output(f"{PREFIX}-modal", "is_open", allow_duplicate=True),
    Input(f"{PREFIX}-close", "n_clicks"),
    prevent_initial_call=True,
)
def close_record(_clicks):
    return False


@callback(
    Output(f"{PREFIX}-modal", "is_open", allow_duplicate=True),
    Output(f"{PREFIX}-version", "data"),
    Input(f"{PREFIX}-confirm-delete", "n_clicks"),
    State(f"{PREFIX}-open", "data"),
    State(f"{PREFIX}-version", "data"),
    prevent_initial_call=True,
    on_error=toasts.error_handler(PREFIX),
)
def delete(clicks, record_id, version):
    if not clicks or record_id is None:
        raise PreventUpdate
    try:
        records.delete_record(signed_in_user(), record_id, client_ip())
    except ServiceError as exc:
        toasts.notify(PREFIX, "Not deleted", exc.message)
        return no_update, no_update
    toasts.notify(PREFIX, "Deleted", f"Record #{record_id} was deleted.", icon="success")
    return False, (version or 0) + 1
