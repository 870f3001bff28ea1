"""The what-if panel: change a few fields of a predicted student and see the prediction move."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.components.figures import level_badge
from dashboard.components.prediction_form import number
from dashboard.components.prediction_result import headline
from modelling.levels import Bands
from modelling.schemas import NumericField, TaskSchema
from modelling.tasks import task_for


def whatif_id(prefix: str, name: str) -> dict[str, str]:
    """Pattern-matching id of one what-if control."""
    return {"type": f"{prefix}-whatif", "field": name}


def whatif_view(prefix: str, schema: TaskSchema, values: Mapping[str, Any]) -> html.Div:
    """Sliders (and switches) for the factors a student can change, starting at the entered values."""
    controls = []
    for f in schema.actionable:
        value = values.get(f.name)
        label_id = f"{prefix}-whatif-label-{f.name.replace('_', '-')}"
        if isinstance(f, NumericField):
            low = min(f.train_min, value)
            high = max(f.train_max, value)
            step = 1 if f.integer or high - low > 20 else 0.5
            control = dcc.Slider(
                id=whatif_id(prefix, f.name),
                min=number(low),
                max=number(high),
                step=step,
                value=value,
                marks={number(low): str(number(low)), number(high): str(number(high))},
                tooltip={"placement": "bottom", "always_visible": True},
                updatemode="mouseup",
                allow_direct_input=False,
            )
            text = f"{f.label} ({f.unit})" if f.unit else f.label
        else:
            control = dbc.RadioItems(
                id=whatif_id(prefix, f.name),
                options=[{"label": c, "value": c} for c in f.categories],
                value=value,
                inline=True,
            )
            text = f.label
        controls.append(
            html.Div(
                [html.Div(text, id=label_id, className="form-label mb-1 small fw-semibold"), control],
                role="group",
                className="mb-3",
                **{"aria-labelledby": label_id},
            )
        )
    return html.Div(
        [
            html.P(
                "Move a slider: the prediction updates as soon as you let go (or press an arrow key). "
                "Only factors you can change are here.",
                className="small text-muted",
            ),
            *controls,
            html.Div(
                html.P("Move a slider to compare with your prediction.", className="text-muted mb-0"),
                id=f"{prefix}-whatif-result",
                className="whatif-result",
                **{"aria-live": "polite"},
            ),
        ]
    )


def changed_fields(schema: TaskSchema, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """'Label: a → b' for every field that differs."""
    lines = []
    for f in schema.fields:
        a, b = before.get(f.name), after.get(f.name)
        if a != b and not (
            isinstance(a, int | float) and isinstance(b, int | float) and float(a) == float(b)
        ):
            show = number if isinstance(f, NumericField) else str
            lines.append(f"{f.label}: {show(a)} → {show(b)}")
    return lines


def whatif_result(
    prefix: str,
    task: str,
    original: Mapping[str, Any],
    result: Mapping[str, Any],
    bands: Bands,
    changes: list[str],
) -> html.Div:
    """The what-if prediction and its difference from the original one."""
    definition = task_for(task)
    before, _ = definition.value_and_level(original)
    after, level = definition.value_and_level(result)
    diff = after - before
    delta = definition.outcome.difference(diff)
    better = definition.is_better(before, after)
    color = "text-success" if better else ("text-danger" if abs(diff) > 1e-9 else "text-muted")
    return html.Div(
        [
            html.Div(
                [
                    html.Span("What if: ", className="me-1"),
                    html.Span(
                        headline(task, result),
                        id=f"{prefix}-whatif-value",
                        className="fs-3 fw-semibold me-2",
                    ),
                    level_badge(task, level, bands),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
            html.P(
                [
                    html.Span(delta, id=f"{prefix}-whatif-delta", className=f"fw-semibold {color}"),
                    f" vs your prediction ({headline(task, original)}).",
                ],
                className="mb-1",
            ),
            html.Ul([html.Li(line) for line in changes], className="small text-muted mb-0")
            if changes
            else None,
        ]
    )
