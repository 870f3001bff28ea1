"""The Analytics page's key figures and its card per field."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components import admin_figures as figures
from dashboard.components import analytics_figures
from modelling.tasks import task_for


def _kpi(title: str, value: str, kpi_id: str) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [html.Div(title, className="small text-muted"), html.Div(value, className="fs-4 fw-semibold")]
            ),
            id=f"analytics-kpi-{kpi_id}",
        ),
        xs=6,
        md=3,
        className="mb-2",
    )


def kpis(profile: dict[str, Any]) -> list[dbc.Col]:
    """The cohort's key figures: rows, students or rows analysed, the share of concern, the average."""
    rows = profile["rows"]
    groups = profile["groups"]
    task = task_for(profile["task"])
    worst = task.concern_group(groups)
    value = next(i for i in profile["numeric"] if i["name"] == profile["value"])
    shown_rows = f"{rows:,}" if rows is not None else f"≥ {profile['analysed']:,}"
    kpis = [_kpi("Rows in cohort", shown_rows, "rows")]
    if profile["source"] == "records":
        kpis.append(_kpi("Students (analysed rows)", f"{profile['students'] or 0:,}", "students"))
    else:
        kpis.append(_kpi("Rows analysed", f"{profile['analysed']:,}", "analysed"))
    counted = sum(g["count"] for g in groups)
    share = f"{worst['count'] / counted:.1%}" if counted else "–"
    kpis.append(_kpi(f"Share {worst['name'].lower()}", share, "share"))
    mean = value["overall"]
    shown = "–" if mean is None else f"{mean:.{task.outcome.summary_decimals}f}"
    kpis.append(_kpi(f"Average {value['label'].lower()} (analysed rows)", shown, "mean"))
    return kpis


def field_cards(profile: dict[str, Any]) -> list[dbc.Col]:
    """A small figure with its CSV button for every field but the predicted value."""
    cards = []
    for item in profile["numeric"]:
        if item["name"] == profile["value"]:
            continue
        cards.append((item["name"], analytics_figures.numeric_figure(profile, item)))
    cards += [
        (item["name"], analytics_figures.category_figure(profile, item)) for item in profile["category"]
    ]
    for _name, figure in cards:
        figure.update_layout(showlegend=False, margin={"b": 50})
    return [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        dcc.Graph(
                            id={"type": "analytics-field", "field": name},
                            figure=figure,
                            config=figures.graph_config(f"field-{name}"),
                            style={"height": "300px"},
                        ),
                        dbc.Button(
                            "Data as CSV",
                            id={"type": "analytics-csv", "figure": f"field-{name}"},
                            size="sm",
                            color="secondary",
                            outline=True,
                        ),
                    ],
                    className="p-2",
                )
            ),
            xs=12,
            md=6,
            xl=4,
            className="mb-3",
        )
        for name, figure in cards
    ]
