"""The form tasks' part of the Models page: the retraining card, the versions and candidates tables and
the comparison of a new version with the champion."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from dashboard.components.forms import csv_upload
from dashboard.components.jobs import job_progress
from dashboard.components.model_cards import metric_text
from dashboard.components.tables import activate_cell, header_row, when
from modelling.tasks import task_for
from services import model_versions


def _metrics(task: str) -> list[tuple[str, str, bool | None]]:
    """(key, heading, higher is better) of every figure the task shows."""
    return [(m.key, m.heading, m.higher_is_better) for m in task_for(task).metrics]


def retrain_card(running_job_id: int | None) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Retrain", className="h5"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label("Training data", html_for="models-data"),
                                dbc.RadioItems(
                                    id="models-data",
                                    options=[
                                        {"label": "Bundled data", "value": "bundled"},
                                        {"label": "Uploaded labelled CSV", "value": "upload"},
                                    ],
                                    value="bundled",
                                ),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Cross-validation folds", html_for="models-folds"),
                                dbc.Select(
                                    id="models-folds",
                                    options=[{"label": str(k), "value": str(k)} for k in (3, 5, 10)],
                                    value="5",
                                ),
                            ],
                            md=2,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Candidates", html_for="models-candidate-choice"),
                                dbc.Checklist(id="models-candidate-choice", options=[], value=[]),
                            ],
                            md=4,
                        ),
                        dbc.Col(
                            [
                                dbc.Label("Labelled CSV (inputs + target)", html_for="models-upload"),
                                csv_upload("models-upload", "Drop or", padding="p-3"),
                                html.Div(id="models-upload-name", className="small text-muted"),
                            ],
                            md=3,
                        ),
                    ],
                    className="mb-2",
                ),
                dbc.Button("Start training", id="models-train", color="primary", className="mb-2"),
                job_progress("models", running_job_id),
                html.Div(id="models-compare"),
            ]
        ),
        className="mb-3",
    )


def versions_table(task: str, rows: list) -> Any:
    if not rows:
        return html.P("No version of this task yet. Train one below.", className="text-muted")
    metrics = _metrics(task)
    head = ["Version", "Algorithm", "Trained", "Rows", *[label for _k, label, _h in metrics], ""]
    body = []
    for row in rows:
        body.append(
            html.Tr(
                [
                    html.Td(f"v{row.version}"),
                    html.Td(row.algorithm),
                    html.Td(when(row.created_at)),
                    html.Td(f"{row.rows:,}"),
                    *[html.Td(metric_text(row.metrics.get(key))) for key, _l, _h in metrics],
                    activate_cell(
                        row.version, row.is_active, "models-activate", f"models-active-{row.version}"
                    ),
                ],
                className="table-success" if row.is_active else None,
                id=f"models-row-{row.version}",
            )
        )
    return dbc.Table(
        [html.Thead(header_row(head)), html.Tbody(body)],
        hover=True,
        responsive=True,
        size="sm",
        id="models-versions-table",
    )


def candidates_table(task: str, metrics: dict[str, Any]) -> dbc.Table:
    columns = _metrics(task)
    rows = []
    for candidate in metrics.get("candidates") or []:
        values = candidate["metrics"]
        chosen = candidate["name"] == metrics.get("winner")
        rows.append(
            html.Tr(
                [
                    html.Td(
                        [candidate["name"], " ", dbc.Badge("chosen", color="primary") if chosen else None]
                    ),
                    *[
                        html.Td(f"{metric_text(values.get(k))} ± {values.get(f'{k}_std', 0):.4f}")
                        for k, _label, _h in columns
                    ],
                ]
            )
        )
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Candidate"), *[html.Th(label) for _k, label, _h in columns]])),
            html.Tbody(rows),
        ],
        size="sm",
        responsive=True,
        striped=True,
        id="models-candidates-table",
    )


def comparison(task: str, result: dict[str, Any]) -> dbc.Card:
    champion = next((r for r in model_versions.versions(task) if r.is_active), None)
    challenger = result["metrics"]
    rows = []
    for key, label, higher in _metrics(task):
        new, old = challenger.get(key), champion.metrics.get(key) if champion else None
        better = None
        if higher is not None and new is not None and old is not None and new != old:
            better = (new > old) == higher
        mark = {True: " ✓ better", False: " ✗ worse", None: ""}[better]
        rows.append(
            html.Tr([html.Td(label), html.Td(metric_text(old)), html.Td(f"{metric_text(new)}{mark}")])
        )
    champion_name = f"v{champion.version} · {champion.algorithm}" if champion else "none"
    rejected = result.get("rejected_rows") or 0
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3("Champion and challenger", className="h6"),
                html.P(
                    f"New version v{result['version']} ({result['algorithm']}) trained on "
                    f"{result['rows']:,} rows"
                    + (f"; {rejected} rows were rejected" if rejected else "")
                    + ". Metrics are cross-validated.",
                    className="small",
                ),
                dbc.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [
                                    html.Th("Metric"),
                                    html.Th(f"Champion ({champion_name})"),
                                    html.Th(f"Challenger (v{result['version']})"),
                                ]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    size="sm",
                    id="models-compare-table",
                ),
                dbc.Button(
                    f"Activate v{result['version']}",
                    id={"type": "models-promote", "version": result["version"]},
                    color="danger",
                    className="me-2",
                ),
                dbc.Button("Keep the champion", id="models-keep", color="secondary", outline=True),
            ]
        ),
        className="mt-2",
        id="models-compare-card",
    )
