"""What an import did, as the Data page shows it: the summary numbers, how a failed run ends, and the
error report (the rejected lines with their numbers and reasons, and the count per reason)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.shell import short_code

SHOWN_REJECTIONS = 100


def _figures(prefix: str, items: list[tuple[str, str, Any]]) -> html.Div:
    """Labelled numbers side by side, each with its own id (`{prefix}-figure-{key}`)."""
    cells = [
        dbc.Col(
            [html.Div(label, className="small text-muted"), html.Div(str(value), className="fs-5")],
            id=f"{prefix}-figure-{key}",
            xs=6,
            md=2,
            className="mb-2",
        )
        for key, label, value in items
    ]
    return dbc.Row(cells, id=f"{prefix}-summary", className="g-2")


def rejections_table(prefix: str, rejections: list[dict[str, Any]], total: int) -> html.Div:
    """The first rejected lines (line number, reason) and a note when more were only counted."""
    if not rejections:
        return html.P("No line was rejected.", className="text-muted", id=f"{prefix}-rejections")
    rows = [
        html.Tr([html.Td(item["line"], className="text-end"), html.Td(item["reason"])])
        for item in rejections[:SHOWN_REJECTIONS]
    ]
    head = html.Thead(html.Tr([html.Th("Line", className="text-end"), html.Th("Reason")]))
    more = (
        html.P(f"The first {len(rows)} of {total:,} rejected lines.", className="small text-muted")
        if total > len(rows)
        else None
    )
    table = dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, id=f"{prefix}-rejections")
    return html.Div([table, more], style={"maxHeight": "24rem", "overflowY": "auto"})


def reasons_table(prefix: str, reasons: dict[str, int]) -> html.Div | None:
    """Rejected lines per kind of reason, the most frequent first."""
    if not reasons:
        return None
    rows = [
        html.Tr([html.Td(kind), html.Td(f"{count:,}", className="text-end")])
        for kind, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    ]
    head = html.Thead(html.Tr([html.Th("Reason"), html.Th("Lines", className="text-end")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", id=f"{prefix}-reasons", className="w-auto")


def _outcome(prefix: str, report: dict[str, Any]) -> dbc.Alert:
    """How the run ended, and for a failed one what to do."""
    name = report.get("file_name") or "the file"
    if report["status"] == "done":
        color = "warning" if report["rejected"] else "success"
        text = f"{name} imported" + (" (some lines rejected: see below)." if report["rejected"] else ".")
        return dbc.Alert([text, _kept_aside(report)], color=color, id=f"{prefix}-outcome")
    if report["status"] == "running":
        return dbc.Alert(f"{name} is still being imported.", color="info", id=f"{prefix}-outcome")
    if report.get("format") == "unknown":
        advice = "Choose its format and upload it again."
    else:
        held = report.get("last_line") or 0
        advice = (
            (f"The store holds the file up to line {held:,}. " if held else "Nothing of it was stored. ")
            + "Importing the same file again completes it (the lines already stored are not counted "
            "twice); a file that cannot be read needs mending first."
        )
    return dbc.Alert(
        [html.Strong("The import failed: "), report.get("error") or "unknown error", html.Br(), advice],
        color="danger",
        id=f"{prefix}-outcome",
    )


def _kept_aside(report: dict[str, Any]) -> str:
    """A note on the rows kept aside outside their course's window, if any."""
    count = report.get("outside_window") or 0
    if not count:
        return ""
    return (f" {count:,} rows fell outside their course's window and are kept aside: they are counted when"
            " the window is changed to cover them (Course settings).")


def activity_report(prefix: str, report: dict[str, Any]) -> html.Div:
    """An activity import's report (ImportReport.to_dict, or an import run with its `rejections`)."""
    rejections = report.get("first_rejections", report.get("rejections", []))
    courses = ", ".join(short_code(code) for code in report.get("courses") or []) or "none"
    figures = _figures(
        prefix,
        [
            ("format", "Format", report["format"]),
            ("read", "Rows read", f"{report['lines_read']:,}"),
            ("imported", "Imported", f"{report['rows_imported']:,}"),
            ("rejected", "Rejected", f"{report['rejected']:,}"),
            ("outside", "Outside the window", f"{report.get('outside_window') or 0:,}"),
            ("enrollments", "Enrollments", f"{report['enrollments']:,}"),
            ("courses", "Courses", courses),
        ],
    )
    return html.Div([_outcome(prefix, report), figures, _error_report(prefix, rejections, report)])


def outcomes_report(prefix: str, report: dict[str, Any]) -> html.Div:
    """An outcomes import's report (OutcomesReport.to_dict)."""
    figures = _figures(
        prefix,
        [
            ("read", "Rows read", f"{report['lines_read']:,}"),
            ("updated", "Outcomes set", f"{report['updated']:,}"),
            ("rejected", "Rejected", f"{report['rejected']:,}"),
            ("courses", "Courses", ", ".join(short_code(code) for code in report["courses"]) or "none"),
        ],
    )
    return html.Div([figures, _error_report(prefix, report["first_rejections"], report)])


def _error_report(prefix: str, rejections: list[dict[str, Any]], report: dict[str, Any]) -> html.Div:
    return html.Div(
        [
            html.H3("Error report", className="h6 mt-2"),
            reasons_table(prefix, report.get("reasons") or {}),
            rejections_table(prefix, rejections, report["rejected"]),
        ],
        id=f"{prefix}-errors",
    )
