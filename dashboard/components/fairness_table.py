"""A model version's fairness report as people read it: per group attribute, one table with a column per
group (it fits a phone: attributes have few groups) and the largest gaps, every figure with its 95% interval,
and the fairness gate's verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

Format = Callable[[float], str]


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _decimals(places: int) -> Format:
    return lambda value: f"{value:.{places}f}"


def _points(value: float) -> str:
    return f"{value:.1f}"


# Per accuracy metric: its heading and how its figures and the mean predicted and observed outcome read.
METRICS: dict[str, dict[str, Any]] = {
    "roc_auc": {
        "label": "ROC AUC",
        "accuracy": _decimals(2),
        "outcome": _percent,
        "what": "dropout rate",
        "curves": [("abroca", "ABROCA (area between ROC curves)", _decimals(3))],
    },
    "mae": {
        "label": "MAE (points)",
        "accuracy": _decimals(2),
        "outcome": _points,
        "what": "score",
        "curves": [],
    },
}


def _rows(metric: str, flag_label: str) -> list[tuple[str, str, Format]]:
    """(key, heading, format) of every figure per group, in order."""
    shown = METRICS[metric]
    return [
        ("base_rate", "Base rate (of concern)", _percent),
        (metric, shown["label"], shown["accuracy"]),
        ("mean_predicted", f"Mean predicted {shown['what']}", shown["outcome"]),
        ("observed", f"Observed {shown['what']}", shown["outcome"]),
        ("flag_rate", f"Share flagged {flag_label}", _percent),
        ("precision", "Precision of the flag", _percent),
        ("recall", "Recall of the flag", _percent),
    ]


def _gap_rows(metric: str) -> list[tuple[str, str, Format]]:
    shown = METRICS[metric]
    rows = [
        ("flag_rate", "Share flagged", _decimals(2)),
        ("recall", "Recall", _decimals(2)),
        ("precision", "Precision", _decimals(2)),
        (metric, shown["label"], shown["accuracy"]),
        ("calibration", "Calibration (predicted − observed)", _decimals(2)),
    ]
    return [*rows, *shown["curves"]]


def _estimate(found: dict[str, Any] | None, fmt: Format) -> list[Any]:
    """A figure over its interval, or a dash when it cannot be measured."""
    if not found or found.get("value") is None:
        return ["–"]
    interval = f"{fmt(found['low'])}–{fmt(found['high'])}" if found.get("low") is not None else "no interval"
    return [fmt(found["value"]), html.Br(), html.Small(interval, className="text-muted text-nowrap")]


def _group_table(attribute: dict[str, Any], report: dict[str, Any], table_id: str) -> dbc.Table:
    groups = attribute["groups"]
    head = [html.Th("Figure", scope="col")] + [
        html.Th(
            [g["group"], html.Br(), html.Small(f"n = {g['size']:,}", className="text-nowrap")], scope="col"
        )
        for g in groups
    ]
    body = [
        html.Tr([html.Th(label, scope="row"), *[html.Td(_estimate(g.get(key), fmt)) for g in groups]])
        for key, label, fmt in _rows(report["metric"], report["flag_label"])
    ]
    return dbc.Table(
        [html.Thead(html.Tr(head)), html.Tbody(body)],
        size="sm",
        bordered=True,
        className="fairness-table small",
        id=table_id,
    )


def _gap_table(attribute: dict[str, Any], metric: str, table_id: str) -> dbc.Table:
    body = []
    for key, label, fmt in _gap_rows(metric):
        gap = attribute["gaps"].get(key)
        between = " vs ".join(gap.get("between") or []) if gap else ""
        body.append(html.Tr([html.Th(label, scope="row"), html.Td(_estimate(gap, fmt)), html.Td(between)]))
    head = html.Tr([html.Th("Largest gap in", scope="col"), html.Th("Gap", scope="col"), html.Th("Between")])
    return dbc.Table(
        [html.Thead(head), html.Tbody(body)], size="sm", bordered=True, className="small", id=table_id
    )


def _gate(verdict: dict[str, Any], prefix: str) -> Any:
    if not verdict.get("limit"):
        return html.P(
            "The fairness gate is off (set FAIRNESS_MAX_GAP to refuse versions with a larger gap).",
            className="small text-muted",
        )
    if verdict.get("passed", True):
        return dbc.Alert(
            f"Passed the fairness gate: no gap in the share flagged or its recall is above "
            f"{verdict['limit']:.2f} at the low end of its 95% interval.",
            color="success",
            className="py-2",
        )
    return dbc.Alert(
        [
            html.Strong("Refused by the fairness gate:"),
            html.Ul([html.Li(reason) for reason in verdict.get("reasons", [])], className="mb-0"),
        ],
        color="warning",
        id=f"{prefix}-refused",
    )


def section(record: dict[str, Any] | None, prefix: str) -> html.Div:
    """The fairness of a version (its stored record) under ids starting with `prefix`."""
    if not record or not record.get("reports"):
        return html.Div(
            [
                html.H3("Fairness", className="h6 mt-3"),
                html.P(
                    "No fairness report: the training data carried no group attributes.",
                    className="small text-muted",
                ),
            ],
            id=prefix,
        )
    parts: list[Any] = [html.H3("Fairness by group", className="h6 mt-3"), _gate(record["gate"], prefix)]
    for number, titled in enumerate(record["reports"]):
        report = titled["report"]
        parts.append(
            html.P(
                f"{titled['title']}: {report['rows']:,} rows. Under each figure its bootstrap "
                f"{report['level']:.0%} interval ({report['boots']} draws within each group); groups under "
                f"{report['min_group']} rows are shown but left out of the gaps.",
                className="small text-muted mb-1",
            )
        )
        for attribute in report["attributes"]:
            name = f"{prefix}-{number}-{attribute['name']}"
            parts += [
                html.H4(attribute["label"], className="h6 mt-2"),
                dbc.Row(
                    [
                        dbc.Col(_group_table(attribute, report, f"{name}-groups"), lg=7),
                        dbc.Col(_gap_table(attribute, report["metric"], f"{name}-gaps"), lg=5),
                    ]
                ),
            ]
    return html.Div(parts, id=prefix)
