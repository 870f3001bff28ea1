"""Two groups of learners side by side with the difference of their dropout rates, its 95% interval and
the verdict in words: nudged against held back (randomised), contacted against not contacted (an
observation). Used by the outcomes report of a course and by the report across courses."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

DASH = "—"
# The verdict's colour: an effect either way stands out; "cannot tell" is a warning, not a result.
COLOURS = {"lower": "success", "higher": "danger", "no_difference": "secondary", "too_few": "warning"}
NUDGE_GROUPS = (("nudged", "Nudged (emailed)"), ("held_back", "Held back at random"))
CONTACT_GROUPS = (("contacted", "Contacted"), ("not_contacted", "Not contacted"))
RANDOMISED = (
    "When a tutor sends a nudge with the holdout on, chance alone decides which of the chosen learners "
    "are held back (not emailed). The two groups differ only by chance, so a difference beyond the "
    "interval is what the email did. Difference: the nudged group's dropout rate minus the held-back "
    "group's, in percentage points (negative: fewer nudged learners dropped out)."
)


def percent(value: float | None) -> str:
    """A rate as a percentage, or a dash."""
    return DASH if value is None else f"{value:.1%}"


def points(comparison: dict[str, Any]) -> str:
    """The difference and its interval in percentage points, or a dash."""
    if comparison["difference"] is None:
        return DASH
    low, high = comparison["low"] * 100, comparison["high"] * 100
    text = f"{comparison['difference'] * 100:+.1f} ({low:+.1f} to {high:+.1f})"
    return text.replace("-", "−")


def scrolling(table: dbc.Table, label: str) -> html.Div:
    """The table in a region that scrolls sideways on a phone and can be scrolled with the keyboard."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": label})


def groups_table(table_id: str, comparison: dict[str, Any], groups, first: str) -> html.Div:
    """One row per group: learners with outcomes, dropped out, dropout rate, outcome not known."""
    headers = [first, "With outcomes", "Dropped out", "Dropout rate", "Outcome not known"]
    rows = [
        [
            label,
            f"{g['learners']:,}",
            f"{g['dropped_out']:,}",
            percent(g["dropout_rate"]),
            f"{g['unknown_outcome']:,}",
        ]
        for g, label in ((comparison[key], label) for key, label in groups)
    ]
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
            html.Tbody(
                [html.Tr([html.Th(row[0], scope="row"), *[html.Td(c) for c in row[1:]]]) for row in rows]
            ),
        ],
        id=table_id,
        size="sm",
        striped=True,
    )
    return scrolling(table, f"{first}: dropout per group")


def verdict(alert_id: str, comparison: dict[str, Any]) -> dbc.Alert:
    """The verdict in words, coloured by what it says."""
    return dbc.Alert(comparison["says"], color=COLOURS.get(comparison["verdict"], "secondary"), id=alert_id)


def nudge_block(prefix: str, nudges: dict[str, Any] | None) -> html.Div:
    """A course's nudged and held-back learners, or why there is nothing to compare."""
    if nudges is None:
        return html.P(
            "No nudge of this course was sent with the holdout on (the setting NUDGE_HOLDOUT_SHARE), so "
            "there is no randomised comparison.",
            id=f"{prefix}-nudges",
            className="text-muted",
        )
    return html.Div(
        [
            html.P(RANDOMISED, className="small text-muted"),
            groups_table(f"{prefix}-nudges", nudges, NUDGE_GROUPS, "Learners"),
            html.P(["Difference (95% interval), points: ", html.Strong(points(nudges))], className="mb-2"),
            verdict(f"{prefix}-nudges-verdict", nudges),
            dcc.Link("Why randomisation is needed", href="/about#about-contacting", className="small"),
        ]
    )


def courses_table(table_id: str, report: dict[str, Any]) -> html.Div:
    """Per course and overall: both groups' size and dropout rate, the difference and the verdict."""
    headers = ["Course", "Nudged", "Held back", "Difference, points (95% interval)", "Verdict"]
    words = {
        "lower": "Nudged dropped out less",
        "higher": "Nudged dropped out more",
        "no_difference": "No difference shown",
        "too_few": "Too few to tell",
        "none": "No outcomes yet",
    }

    def row(name: Any, item: dict[str, Any], cell=html.Td) -> html.Tr:
        groups = [
            f"{item[key]['learners']:,} · {percent(item[key]['dropout_rate'])}"
            for key in ("nudged", "held_back")
        ]
        return html.Tr(
            [
                html.Th(name, scope="row"),
                *[cell(c) for c in groups],
                cell(points(item)),
                cell(words[item["verdict"]]),
            ]
        )

    body = [row(item["course"], item) for item in report["courses"]]
    body.append(row("All courses", report["overall"], lambda c: html.Td(html.Strong(c))))
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])), html.Tbody(body)],
        id=table_id,
        size="sm",
        striped=True,
    )
    return scrolling(table, "Nudged and held-back learners per course")
