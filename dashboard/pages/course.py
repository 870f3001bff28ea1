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
from dashboard.components import course_levels, nudges, score_now, segments, toasts
from dashboard.components.forms import action_kind_options, alert, channel_options
from dashboard.components.grids import refetch_rows_on_change, sort_of
from dashboard.components.shell import page_header, short_code
from dashboard.components.tables import last_scoring_text
from db.tutoring import ACTION_KINDS
from modelling.early_warning.segments import action_of
from services import actions, course_overview
from services.errors import NotFound, ServiceError
from services.links import course_outcomes_href

PATH = "/course"
PREFIX = "course"
BLOCK = 100
ANY = "any"
CHANGE_LABELS = {
    "up": "▲ Up",
    "down": "▼ Down",
    "same": "= About the same",
    "new": "New (no previous checkpoint)",
}
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


# The grid loads rows in blocks (infinite row model), which needs one row height for every row: rows are
# tall enough for three wrapped reasons at the columns' narrowest, so a reason never needs a hover.
ROW_HEIGHT = 104
WRAPPED = {"wrapText": True, "cellStyle": {"lineHeight": "1.3", "fontSize": "0.8rem", "wordBreak": "normal"}}


def _columns() -> list[dict[str, Any]]:
    headers = dict(course_overview.EXPORT_COLUMNS)
    sortable = set(course_overview.SORT_COLUMNS)
    special: dict[str, dict[str, Any]] = {
        # As wide as its longest reference (course_grid.js sizes it as rows arrive): never cut off.
        "learner": {"cellRenderer": "CourseLearnerLink", "minWidth": 140, "flex": 0},
        "probability": {"minWidth": 115, "maxWidth": 130, "sortingOrder": ["desc", "asc", None]},
        "rank_in_course": {"minWidth": 80, "maxWidth": 100},
        "risk_level": {"minWidth": 95, "maxWidth": 120},
        "segment": {
            "minWidth": 110,
            "maxWidth": 140,
            "tooltipField": "segment_action",
            "headerTooltip": "Where the learner stands by their own activity; hover a cell: what to do.",
        },
        "trajectory": {"cellRenderer": "CourseSparkline", "minWidth": 110, "maxWidth": 130},
        "change": {"cellRenderer": "CourseChange", "minWidth": 120, "maxWidth": 140},
        "inactive": {"minWidth": 110, "maxWidth": 130, "sortingOrder": ["desc", "asc", None]},
        # Wrapped in rows of ROW_HEIGHT: the reasons read in full without hovering.
        "reasons": {"flex": 3, "minWidth": 300, **WRAPPED},
        "in_favour": {"flex": 2, "minWidth": 220, **WRAPPED},
        "last_action": {"flex": 2, "minWidth": 240, "tooltipField": "last_action"},
    }
    return [
        {
            "field": field,
            "colId": field,
            "headerName": header,
            "sortable": field in sortable,
            **special.get(field, {}),
        }
        for field, header in headers.items()
    ]


def _select(field_id: str, label: str, options: list[dict[str, str]], md: int = 2) -> dbc.Col:
    return dbc.Col(
        [dbc.Label(label, html_for=field_id), dbc.Select(id=field_id, options=options, value=ANY)],
        xs=6,
        md=md,
    )


def _filters() -> dbc.Row:
    any_option = [{"label": "Any", "value": ANY}]
    return dbc.Row(
        [
            _select(
                f"{PREFIX}-risk-level",
                "Risk level",
                any_option + [{"label": n, "value": n} for n in course_overview.risk_levels()],
            ),
            _select(f"{PREFIX}-segment", "Segment", any_option + segments.segment_options()),
            _select(
                f"{PREFIX}-change",
                "Change",
                any_option + [{"label": label, "value": value} for value, label in CHANGE_LABELS.items()],
            ),
            dbc.Col(
                [
                    dbc.Label("Inactive days (at least)", html_for=f"{PREFIX}-inactive"),
                    dbc.Input(id=f"{PREFIX}-inactive", type="number", min=0, step=1, debounce=True),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Learner", html_for=f"{PREFIX}-learner"),
                    dbc.Input(
                        id=f"{PREFIX}-learner",
                        placeholder="part of the reference",
                        debounce=True,
                        maxlength=128,
                    ),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                dbc.Checkbox(id=f"{PREFIX}-no-action", label="No action yet", value=False),
                xs=6,
                md=2,
                className="align-self-end pb-2",
            ),
        ],
        className="g-2 mb-2",
    )


def _action_bar() -> dbc.Row:
    kinds = action_kind_options()
    channels = [{"label": "No channel", "value": ""}, *channel_options()]
    return dbc.Row(
        [
            dbc.Col(
                html.Span("0 selected", id=f"{PREFIX}-selected", className="text-muted"),
                width="auto",
                className="align-self-center",
            ),
            dbc.Col(
                [
                    dbc.Label("Action", html_for=f"{PREFIX}-action-kind", className="visually-hidden"),
                    dbc.Select(id=f"{PREFIX}-action-kind", options=kinds, value=ACTION_KINDS[0]),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Channel", html_for=f"{PREFIX}-action-channel", className="visually-hidden"),
                    dbc.Select(id=f"{PREFIX}-action-channel", options=channels, value="email"),
                ],
                xs=6,
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label("Note", html_for=f"{PREFIX}-action-note", className="visually-hidden"),
                    dbc.Input(id=f"{PREFIX}-action-note", placeholder="Note (optional)", maxlength=2000),
                ],
                xs=12,
                md=3,
            ),
            dbc.Col(
                dbc.Button("Select all listed", id=f"{PREFIX}-select-all", color="secondary", outline=True),
                width="auto",
            ),
            dbc.Col(
                dbc.Button("Record for selected", id=f"{PREFIX}-action-record", color="primary"), width="auto"
            ),
            dbc.Col(
                dbc.Button("Export CSV", id=f"{PREFIX}-export", color="secondary", outline=True),
                width="auto",
                className="ms-auto",
            ),
        ],
        className="g-2 mb-2 align-items-center",
    )


def _fact(label: str, value: Any, fact_id: str | None = None) -> html.Div:
    kwargs = {"id": fact_id} if fact_id else {}
    return html.Div(
        [html.Div(label, className="kpi-label"), html.Div(value, className="fw-semibold", **kwargs)],
        className="me-4 mb-2",
    )


def _header(facts: dict[str, Any], admin: bool = False) -> html.Div:
    if facts["status"] == "running":
        where = f"Day {facts['current_day']} of {facts['length_days']}"
    else:
        where = facts["status"].capitalize()
    links = html.Div(
        [
            dcc.Link("All courses", href="/courses", className="me-3"),
            dcc.Link(
                "Outcomes report",
                href=course_outcomes_href(facts["code"]),
                id=f"{PREFIX}-outcomes-link",
            ),
        ],
        className="mb-2",
    )
    return html.Div(
        [
            page_header(
                short_code(facts["code"])
                if facts["title"] in ("", facts["code"])
                else f"{short_code(facts['code'])}: {facts['title']}",
                tooltip=facts["code"],
            ),
            links,
            html.Div(
                [
                    _fact("Dates", f"{facts['start_date']} to {facts['end_date']}"),
                    _fact("Where it stands", where, f"{PREFIX}-where"),
                    _fact("Enrollments", f"{facts['enrollments']:,}", f"{PREFIX}-enrollments"),
                    _fact("Tutors", ", ".join(facts["tutors"]) or "none assigned"),
                    _fact("Last scoring", last_scoring_text(facts["last_scoring"]), f"{PREFIX}-last-scoring"),
                ],
                className="d-flex flex-wrap mb-2",
            ),
            course_levels.levels_facts(facts["levels"]),
            course_levels.shares_control(facts["levels"]["shares"]) if admin else None,
        ]
    )


def trend_figure(trend: dict[str, Any]) -> figures.Figure:
    """The share of the cohort at each risk level per checkpoint, stacked (highest risk on top)."""
    title = "How the cohort's risk moves across checkpoints"
    points = trend["points"]
    if not points:
        return figures.empty_figure(title, "Not scored yet: the risk appears after the first checkpoint.")
    fig = figures.Figure()
    labels = [f"Day {p['day']}" for p in points]
    for index, level in enumerate(reversed(trend["levels"])):
        fig.add_bar(
            x=labels,
            y=[p["shares"][level] for p in points],
            customdata=[p["counts"][level] for p in points],
            name=level,
            marker_color=figures.colour(level, index),
            text=[f"{p['shares'][level]:.0%}" for p in points],
            textposition="inside",
            hovertemplate=f"{level}: %{{y:.1%}} (%{{customdata:,}} learners)<extra>%{{x}}</extra>",
        )
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="Share of enrollments")
    fig.update_xaxes(title_text="Checkpoint (day of the course)")
    return fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 14}},
        font=figures.FONT,
        barmode="stack",
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
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
    grid = dag.AgGrid(
        id=f"{PREFIX}-grid",
        rowModelType="infinite",
        columnDefs=_columns(),
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
            "tooltipShowDelay": 300,
            "rowHeight": ROW_HEIGHT,
            "localeText": {"noRowsToShow": "No enrollment matches."},
        },
        style={"height": "600px"},
    )
    return html.Div(
        [
            _header(facts, user.is_admin),
            score_now.course_block(PREFIX, user, facts["code"], facts["status"]),
            dcc.Graph(
                id=f"{PREFIX}-trend",
                figure=trend_figure(trend).to_plotly_json(),
                config=figures.graph_config(f"risk-trend-{facts['code']}"),
                style={"height": "340px"},
            ),
            html.H3("At-risk list", className="h5 mt-3"),
            html.P(id=f"{PREFIX}-count", className="text-muted small", **{"aria-live": "polite"}),
            segments.legend(PREFIX),
            _filters(),
            _action_bar(),
            html.Div(id=f"{PREFIX}-message"),
            nudges.block(PREFIX),
            grid,
            dcc.Store(id=f"{PREFIX}-code", data=facts["code"]),
            dcc.Store(id=f"{PREFIX}-filters", data={}),
            dcc.Store(id=f"{PREFIX}-version", data=0),
            dcc.Store(id=f"{PREFIX}-refreshed"),
            dcc.Download(id=f"{PREFIX}-download"),
            toasts.toast_area(PREFIX),
        ]
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
        "risk_level": None if level in (None, ANY) else level,
        "segment": None if segment in (None, ANY) else segment,
        "change": None if change in (None, ANY) else change,
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
    return trend_figure(trend).to_plotly_json(), last_scoring_text(facts["last_scoring"]), (version or 0) + 1
