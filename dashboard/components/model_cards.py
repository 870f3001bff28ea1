"""Pieces the Models page's sections share: a graph in a card, a figure as a table shows it."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc

from dashboard.components import admin_figures as figures


def figure_card(graph_id: str, filename: str, height: int = 360) -> dbc.Col:
    """A graph in a card, half the width on a large screen."""
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                dcc.Graph(
                    id=graph_id, config=figures.graph_config(filename), style={"height": f"{height}px"}
                ),
                className="p-2",
            )
        ),
        xs=12,
        lg=6,
        className="mb-3",
    )


def metric_text(value: Any) -> str:
    """A figure to four decimals, or a dash when there is none."""
    return "–" if value is None else f"{value:.4f}"
