"""At risk across courses (tutors and administrators): per visible course the scored enrollments at
High at the latest checkpoint and the change since the previous one, and overall; then (administrators)
each student's latest saved dropout prediction at or above a threshold, a page of rows at a time
(sorted and filtered in SQL); a row opens that student's trend."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from flask import current_app

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import at_risk_figures
from dashboard.components.forms import alert
from dashboard.components.grids import sort_of
from dashboard.components.shell import code_link, page_header
from dashboard.components.tables import share_text
from services import at_risk_records, course_risk
from services.errors import ServiceError
from services.links import course_href

PATH = "/at-risk"
BLOCK = 50
dash.register_page(
    __name__,
    path=PATH,
    title="At-risk list",
    name="At risk",
    access="staff",
    nav=True,
    order=40,
    description="Learners at High risk per course and overall; saved predictions above a threshold.",
)

COLUMNS = [
    {"field": "student_ref", "headerName": "Student", "filter": "agTextColumnFilter", "minWidth": 120},
    {
        "field": "probability",
        "headerName": "Dropout probability",
        "filter": "agNumberColumnFilter",
        "valueFormatter": {"function": "d3.format('.1%')(params.value)"},
        "minWidth": 150,
    },
    {"field": "risk_level", "headerName": "Risk level", "filter": "agTextColumnFilter", "minWidth": 110},
    {"field": "created_at", "headerName": "Predicted at (UTC)", "filter": False, "minWidth": 150},
    {"field": "model_version", "headerName": "Model", "filter": "agNumberColumnFilter", "maxWidth": 110},
    {
        "field": "top_factors",
        "headerName": "Top factors",
        "sortable": False,
        "filter": False,
        "flex": 3,
        "tooltipField": "top_factors",
    },
]


def _high_threshold() -> float:
    bands = current_app.config["RISK_LEVELS"]
    return float(max(lower for _name, lower in bands))


def _change(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{'+' if value > 0 else '−' if value < 0 else '±'}{abs(value) * 100:.1f} pts"


def _where(row: dict[str, Any]) -> str:
    if row["status"] == "running":
        return f"day {row['current_day']}"
    return row["status"]


def _course_row(row: dict[str, Any]) -> html.Tr:
    day = row["checkpoint_day"]
    scored = "not scored yet" if day is None else f"day {day} (checkpoint {row['checkpoint']})"
    return html.Tr(
        [
            html.Td(code_link(row["code"], course_href(row["code"]))),
            html.Td(_where(row)),
            html.Td(scored),
            html.Td(f"{row['scored']:,}"),
            html.Td(f"{row['high']:,}"),
            html.Td(share_text(row["high_share"])),
            html.Td(_change(row["high_change"])),
        ]
    )


def course_table(summary: dict[str, Any]) -> html.Div:
    """Per course and overall: scored enrollments and those at High at the latest checkpoint."""
    if not summary["courses"]:
        return html.P("No course to show: an administrator assigns tutors to courses.", id="at-risk-courses")
    level = summary["level"]
    head = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in (
                    "Course",
                    "Today",
                    "Latest scored",
                    "Enrollments scored",
                    f"At {level}",
                    "Share",
                    "Change since previous checkpoint",
                )
            ]
        )
    )
    overall = summary["overall"]
    foot = html.Tfoot(
        html.Tr(
            [
                html.Th(f"Overall ({overall['courses']} course{'s' if overall['courses'] != 1 else ''})"),
                html.Td(""),
                html.Th(f"{overall['scored_courses']} scored"),
                html.Th(f"{overall['scored']:,}"),
                html.Th(f"{overall['high']:,}"),
                html.Th(share_text(overall["share"])),
                html.Td(""),
            ],
            id="at-risk-overall",
        )
    )
    return dbc.Table(
        [head, html.Tbody([_course_row(row) for row in summary["courses"]]), foot],
        size="sm",
        striped=True,
        responsive=True,
        id="at-risk-courses",
    )


def _courses_section(user) -> html.Div:
    return html.Div(
        [
            html.H2("Scored enrollments per course", className="h5"),
            html.P(
                "At each course's latest scored day; the change compares the share with the previous "
                "checkpoint. A course opens its at-risk list.",
                className="text-muted small",
            ),
            course_table(course_risk.course_risk(user)),
        ],
        className="mb-4",
    )


@page("staff", PATH)
def layout(user, **_query):
    header = page_header(
        "At risk",
        "Learners at High risk in each of your courses, from the early-warning scoring"
        + ("; below, saved dropout predictions by student reference." if user.is_admin else "."),
    )
    if not user.is_admin:
        return html.Div([header, _courses_section(user)])
    return html.Div([header, _courses_section(user), _saved_predictions()])


def _saved_predictions() -> html.Div:
    return html.Div(
        [
            html.H2("Saved dropout predictions", className="h5"),
            html.P(
                "Each student's latest dropout prediction at or above the threshold. Sort and filter in the "
                "column headers; click a row to see that student's trend.",
                className="text-muted small",
            ),
            _controls(),
            html.Div(id="at-risk-message"),
            _grid(),
            _trend_modal(),
            dcc.Store(id="at-risk-refresh"),
            dcc.Download(id="at-risk-download"),
        ]
    )


def _controls() -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Risk threshold (%)", html_for="at-risk-threshold"),
                    dbc.Input(
                        id="at-risk-threshold",
                        type="number",
                        min=0,
                        max=100,
                        step=5,
                        value=round(_high_threshold() * 100),
                        debounce=True,
                    ),
                    dbc.FormFeedback(THRESHOLD_HELP, type="invalid"),
                ],
                xs=6,
                md=3,
            ),
            dbc.Col(
                html.Div(id="at-risk-count", className="fs-5", role="status"), className="align-self-end"
            ),
            dbc.Col(
                dbc.Button("Export CSV", id="at-risk-export", color="secondary", outline=True),
                width="auto",
                className="align-self-end",
            ),
        ],
        className="mb-3 g-2",
    )


def _grid() -> dag.AgGrid:
    return dag.AgGrid(
        id="at-risk-grid",
        columnDefs=COLUMNS,
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "floatingFilter": True},
        rowModelType="infinite",
        getRowId="params.data.student_ref",
        dashGridOptions={
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 10,
            "infiniteInitialRowCount": 1,
            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
            "tooltipShowDelay": 300,
            "localeText": {
                "noRowsToShow": "No students yet: the list groups saved dropout predictions by "
                "student reference. Save a dropout prediction with a student reference, batch-score "
                "a CSV with a student_ref column, or run flask --app wsgi seed-demo for a demo cohort."
            },
        },
        style={"height": "560px"},
    )


def _trend_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id="at-risk-modal-title")),
            dbc.ModalBody(dcc.Loading(html.Div(id="at-risk-modal-body"))),
        ],
        id="at-risk-modal",
        size="xl",
        is_open=False,
    )


THRESHOLD_HELP = "Enter a percentage from 0 to 100, e.g. 70 for a 70% risk of dropping out."


def _probability(percent: Any) -> float | None:
    """The box's percentage as a probability, or None when it is empty or outside 0..100."""
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        return None
    return percent / 100


def _query(probability: float, request: dict[str, Any] | None) -> at_risk_records.AtRiskQuery:
    request = request or {}
    sort = sort_of(request)
    return at_risk_records.AtRiskQuery(
        threshold=probability,
        sort=sort or (("probability", True),),
        filters=request.get("filterModel") or {},
    )


@callback(
    Output("at-risk-grid", "getRowsResponse"),
    Output("at-risk-count", "children"),
    Output("at-risk-message", "children"),
    Input("at-risk-grid", "getRowsRequest"),
    State("at-risk-threshold", "value"),
)
def load_rows(request, threshold):
    if not request:
        return no_update, no_update, no_update
    probability = _probability(threshold)
    if probability is None:
        return {"rowData": [], "rowCount": 0}, "", alert(THRESHOLD_HELP)
    try:
        rows, total = at_risk_records.at_risk_rows(
            signed_in_user(), _query(probability, request), request["startRow"], request["endRow"]
        )
    except ServiceError as exc:
        return {"rowData": [], "rowCount": 0}, "", alert(exc.message)
    shown = f"{total:,} student{'s' if total != 1 else ''} at or above {probability:.0%}"
    unnamed = at_risk_records.unreferenced_count(signed_in_user(), probability)
    note = (
        html.Div(
            f"{unnamed:,} saved prediction{'s' if unnamed != 1 else ''} at or above the threshold "
            "name no student and are not listed: give a student reference when saving "
            "(a student_ref column in batch scoring).",
            className="small text-muted",
            id="at-risk-unreferenced",
        )
        if unnamed
        else None
    )
    return {"rowData": rows, "rowCount": total}, shown, note


@callback(Output("at-risk-threshold", "invalid"), Input("at-risk-threshold", "value"))
def flag_threshold(threshold):
    return _probability(threshold) is None


clientside_callback(
    """
    function (threshold) {
        dash_ag_grid.getApiAsync("at-risk-grid").then((api) => api.purgeInfiniteCache());
        return threshold;
    }
    """,
    Output("at-risk-refresh", "data"),
    Input("at-risk-threshold", "value"),
    prevent_initial_call=True,
)


@callback(
    Output("at-risk-modal", "is_open"),
    Output("at-risk-modal-title", "children"),
    Output("at-risk-modal-body", "children"),
    Input("at-risk-grid", "cellClicked"),
    prevent_initial_call=True,
)
def open_student(cell):
    student_ref = (cell or {}).get("rowId")
    if not student_ref:
        return no_update, no_update, no_update
    try:
        history = at_risk_records.student_history(signed_in_user(), student_ref)
    except ServiceError as exc:
        return True, student_ref, alert(exc.message)
    bands = current_app.config["RISK_LEVELS"]
    table = dbc.Table(
        [
            html.Thead(
                html.Tr([html.Th(h) for h in ("Saved at (UTC)", "Probability", "Risk level", "Model")])
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r["created_at"].strftime("%Y-%m-%d %H:%M")),
                            html.Td(f"{r['probability']:.1%}"),
                            html.Td(r["risk_level"]),
                            html.Td(f"v{r['model_version']}"),
                        ]
                    )
                    for r in reversed(history)
                ]
            ),
        ],
        size="sm",
        striped=True,
        responsive=True,
        id="at-risk-history-table",
    )
    body = [
        dcc.Graph(
            id="at-risk-history",
            figure=at_risk_figures.history_figure(history, bands, student_ref),
            config=figures.graph_config(f"dropout-trend-{student_ref}"),
        ),
        table,
    ]
    return True, f"Student {student_ref}: dropout predictions over time", body


@callback(
    Output("at-risk-download", "data"),
    Output("at-risk-message", "children", allow_duplicate=True),
    Input("at-risk-export", "n_clicks"),
    State("at-risk-threshold", "value"),
    State("at-risk-grid", "getRowsRequest"),
    prevent_initial_call=True,
)
def export(clicks, threshold, request):
    if not clicks:
        return no_update, no_update
    probability = _probability(threshold)
    if probability is None:
        return no_update, alert(THRESHOLD_HELP)
    try:
        text = at_risk_records.export_csv(signed_in_user(), _query(probability, request))
    except ServiceError as exc:
        return no_update, alert(exc.message)
    return dcc.send_string(text, "at-risk.csv"), None
