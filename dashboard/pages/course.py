"""Course (tutors and administrators): how the cohort's risk moves across checkpoints, and the at-risk
list to act on: filter, sort, export what is shown, record an action on the selected learners."""

from __future__ import annotations

from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.access import page, signed_in_user
from dashboard.components import admin_figures as figures
from dashboard.components import (
    course_grid,
    course_header,
    nudges,
    score_now,
    segments,
    toasts,
)
from dashboard.components.forms import alert
from dashboard.components.grids import refetch_rows_on_change, sort_of
from dashboard.components.tables import last_scoring_text
from modelling.early_warning.segments import action_of
from services import course_overview
from services.errors import NotFound, ServiceError
from services.tutoring import actions

PATH = "/course"
PREFIX = "course"
BLOCK = 100
dash.register_page(
    __name__,
    path=PATH,
    title="Course",
    name="Course",
    access="staff",
    nav=False,
    order=36,
    description="One course: its risk across checkpoints and its at-risk list.",
)


def _missing(code: str | None) -> html.Div:
    return dbc.Alert(
        [
            html.H1("No such course", className="h4 alert-heading"),
            html.P(f"There is no course {code} that you can open." if code else "No course was named."),
            dbc.Button("All courses", href="/courses", color="secondary"),
        ],
        color="warning",
        id=f"{PREFIX}-missing",
    )


@page("staff", PATH)
def layout(user, code: str | None = None, **_query):
    try:
        facts, trend = course_overview.course_page(user, code or "")
    except NotFound:
        return _missing(code)
    return html.Div(
        [
            course_header.header(facts, user.is_admin),
            score_now.course_block(PREFIX, user, facts["code"], facts["status"]),
            dcc.Graph(
                id=f"{PREFIX}-trend",
                figure=course_header.trend_figure(trend).to_plotly_json(),
                config=figures.graph_config(f"risk-trend-{facts['code']}"),
                style={"height": "340px"},
            ),
            html.H2("At-risk list", className="h5 mt-3"),
            html.P(id=f"{PREFIX}-count", className="text-muted small", **{"aria-live": "polite"}),
            segments.legend(PREFIX),
            course_grid.filters(),
            course_grid.action_bar(),
            html.Div(id=f"{PREFIX}-message"),
            nudges.block(PREFIX),
            _grid(),
            dcc.Store(id=f"{PREFIX}-code", data=facts["code"]),
            dcc.Store(id=f"{PREFIX}-filters", data={}),
            dcc.Store(id=f"{PREFIX}-version", data=0),
            dcc.Store(id=f"{PREFIX}-refreshed"),
            dcc.Download(id=f"{PREFIX}-download"),
            toasts.toast_area(PREFIX),
        ]
    )


def _grid() -> dag.AgGrid:
    """The at-risk list: rows fetched block by block as the list scrolls."""
    return dag.AgGrid(
        id=f"{PREFIX}-grid",
        rowModelType="infinite",
        columnDefs=course_grid.columns(),
        defaultColDef={
            "resizable": True,
            "filter": False,
            "flex": 1,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId="params.data.key",
        dashGridOptions={
            "cacheBlockSize": BLOCK,
            "maxBlocksInCache": 20,
            "infiniteInitialRowCount": 1,
            # Every column drawn, also those scrolled out of view: a dozen columns cost little, and
            # screen readers and keyboard users then reach every cell of a row.
            "suppressColumnVirtualisation": True,
            "rowSelection": {
                "mode": "multiRow",
                "checkboxes": True,
                "headerCheckbox": False,
                "enableClickSelection": False,
            },
            # The checkbox column's header is named for screen readers (its text visually hidden).
            "selectionColumnDef": {"headerName": "Select", "headerClass": "header-text-hidden"},
            "tooltipShowDelay": 300,
            "rowHeight": course_grid.ROW_HEIGHT,
            "localeText": {"noRowsToShow": "No enrollment matches."},
        },
        style={"height": "600px"},
    )


def _filters_of(
    data: dict[str, Any] | None, request: dict[str, Any] | None = None
) -> course_overview.AtRiskFilters:
    data = data or {}
    sort = sort_of(request)
    return course_overview.AtRiskFilters(
        risk_level=data.get("risk_level"),
        change=data.get("change"),
        inactive_days=data.get("inactive_days"),
        no_action=bool(data.get("no_action")),
        learner=data.get("learner"),
        segment=data.get("segment"),
        sort=sort,
    )


def _whole(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


@callback(
    Output(f"{PREFIX}-filters", "data"),
    Input(f"{PREFIX}-risk-level", "value"),
    Input(f"{PREFIX}-change", "value"),
    Input(f"{PREFIX}-inactive", "value"),
    Input(f"{PREFIX}-no-action", "value"),
    Input(f"{PREFIX}-learner", "value"),
    Input(f"{PREFIX}-segment", "value"),
    prevent_initial_call=True,
)
def set_filters(level, change, inactive, no_action, learner, segment):
    data = {
        "risk_level": None if level in (None, course_grid.ANY) else level,
        "segment": None if segment in (None, course_grid.ANY) else segment,
        "change": None if change in (None, course_grid.ANY) else change,
        "inactive_days": _whole(inactive),
        "no_action": bool(no_action) or None,
        "learner": (learner or "").strip() or None,
    }
    return {k: v for k, v in data.items() if v is not None}


refetch_rows_on_change("course-grid", PREFIX)


def grid_row(item: dict[str, Any]) -> dict[str, Any]:
    """An at-risk item as a grid row: the shown text of each column, and what the renderers draw."""
    return {
        "key": str(item["enrollment"]),
        "enrollment": item["enrollment"],
        **course_overview.shown_row(item),
        "trajectory_values": item["trajectory"],
        "change_direction": item["change_direction"],
        "segment_action": action_of(item["segment"]),
    }


def _count(listing: dict[str, Any]) -> str:
    if listing["day"] is None:
        return listing["message"]
    shown, total = len(listing["items"]), listing["total"]
    text = f"{shown:,} of {total:,} enrollments at day {listing['day']}"
    if listing["previous_day"] is not None:
        text += f"; change since day {listing['previous_day']}"
    if listing.get("as_of_day") is not None:
        text += f"; reasons and days since the last activity as of day {listing['as_of_day']}"
    return text + "."


@callback(
    Output(f"{PREFIX}-grid", "getRowsResponse"),
    Output(f"{PREFIX}-count", "children"),
    Input(f"{PREFIX}-grid", "getRowsRequest"),
    State(f"{PREFIX}-filters", "data"),
    State(f"{PREFIX}-code", "data"),
    on_error=toasts.error_handler(PREFIX),
)
def load_rows(request, filters, code):
    if not request or not code:
        raise PreventUpdate
    try:
        listing = course_overview.course_at_risk_rows(signed_in_user(), code, _filters_of(filters, request))
    except ServiceError as exc:
        toasts.notify(PREFIX, "Cannot list", exc.message)
        return {"rowData": [], "rowCount": 0}, ""
    start, end = request.get("startRow", 0), request.get("endRow", BLOCK)
    rows = [grid_row(item) for item in listing["items"][start:end]]
    return {"rowData": rows, "rowCount": len(listing["items"])}, _count(listing)


@callback(
    Output(f"{PREFIX}-selected", "children"),
    Input(f"{PREFIX}-grid", "selectedRows"),
)
def count_selected(selected):
    return f"{len(selected or []):,} selected"


@callback(
    Output(f"{PREFIX}-action-channel", "disabled"),
    Input(f"{PREFIX}-action-kind", "value"),
)
def channel_for_contacts_only(kind):
    return not actions.takes_channel(kind)


# The learner column fits its references whenever rows arrive (see course_grid.js).
clientside_callback(
    """function(_code) {
        window.courseGridFitLearners("course-grid");
        return window.dash_clientside.no_update;
    }""",
    Output(f"{PREFIX}-code", "modified_timestamp"),
    Input(f"{PREFIX}-code", "data"),
)


# Every row the grid has loaded (the list in blocks of BLOCK, as far as it was scrolled) is selected.
clientside_callback(
    """
    function(clicks) {
        if (!clicks) { return window.dash_clientside.no_update; }
        window.dash_ag_grid.getApiAsync("course-grid").then((api) => {
            api.forEachNode((node) => { if (node.data) { node.setSelected(true); } });
        });
        return window.dash_clientside.no_update;
    }
    """,
    Output(f"{PREFIX}-select-all", "n_clicks"),
    Input(f"{PREFIX}-select-all", "n_clicks"),
    prevent_initial_call=True,
)


@callback(
    Output(f"{PREFIX}-message", "children"),
    Output(f"{PREFIX}-version", "data"),
    Output(f"{PREFIX}-grid", "selectedRows"),
    Output(f"{PREFIX}-action-note", "value"),
    Input(f"{PREFIX}-action-record", "n_clicks"),
    State(f"{PREFIX}-grid", "selectedRows"),
    State(f"{PREFIX}-action-kind", "value"),
    State(f"{PREFIX}-action-channel", "value"),
    State(f"{PREFIX}-action-channel", "disabled"),
    State(f"{PREFIX}-action-note", "value"),
    State(f"{PREFIX}-version", "data"),
    prevent_initial_call=True,
    on_error=toasts.error_handler(PREFIX),
)
def record(clicks, selected, kind, channel, channel_off, note, version):
    if not clicks:
        raise PreventUpdate
    ids = [row["enrollment"] for row in selected or [] if isinstance(row, dict) and "enrollment" in row]
    if not ids:
        return (
            alert("Select learners in the list first (the boxes on the left).", "warning"),
            no_update,
            no_update,
            no_update,
        )
    try:
        done = actions.record_actions(
            signed_in_user(),
            ids,
            kind,
            note,
            None if channel_off else channel or None,  # a disabled field is not sent, as in a form
        )
    except ServiceError as exc:
        return alert(" ".join([exc.message, *exc.fields.values()])), no_update, no_update, no_update
    label = actions.ACTION_LABELS.get(kind, kind)
    message = alert(f"Recorded “{label}” for {len(done)} learner{'' if len(done) == 1 else 's'}.", "success")
    return message, (version or 0) + 1, [], ""  # the note was for these learners: not the next ones


@callback(
    Output(f"{PREFIX}-download", "data"),
    Input(f"{PREFIX}-export", "n_clicks"),
    State(f"{PREFIX}-filters", "data"),
    State(f"{PREFIX}-grid", "getRowsRequest"),
    State(f"{PREFIX}-code", "data"),
    prevent_initial_call=True,
    on_error=toasts.error_handler(PREFIX),
)
def export(clicks, filters, request, code):
    if not clicks or not code:
        raise PreventUpdate
    try:
        text = course_overview.at_risk_csv(signed_in_user(), code, _filters_of(filters, request))
    except ServiceError as exc:
        toasts.notify(PREFIX, "Not exported", exc.message)
        return no_update
    return dcc.send_string(text, f"at-risk-{code.replace('/', '-')}.csv")


score_now.register(PREFIX)
nudges.register(PREFIX)


@callback(
    Output(f"{PREFIX}-trend", "figure", allow_duplicate=True),
    Output(f"{PREFIX}-last-scoring", "children", allow_duplicate=True),
    Output(f"{PREFIX}-version", "data", allow_duplicate=True),
    Input(f"{PREFIX}-score-done", "data"),
    State(f"{PREFIX}-code", "data"),
    State(f"{PREFIX}-version", "data"),
    prevent_initial_call=True,
)
def show_new_scores(_done, code, version):
    """Once Score now ended: the trend, the last scoring and the at-risk list as stored now."""
    facts, trend = course_overview.course_page(signed_in_user(), code)
    figure = course_header.trend_figure(trend).to_plotly_json()
    return figure, last_scoring_text(facts["last_scoring"]), (version or 0) + 1
