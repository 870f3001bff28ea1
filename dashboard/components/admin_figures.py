"""The administrator pages' figure machinery (a Plotly figure as plain data, colours, frames, the figure
card with its CSV download), the feature-importance figure the Analytics and Models pages share, and
the Models page's figures."""

from __future__ import annotations

import copy
import math
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc

from modelling.tasks import EXAM

GROUP_COLOURS = {
    "Excellent": "#1a7f37",
    "Very good": "#4caf50",
    "Average": "#2c7fb8",
    "Needs improvement": "#f0a30a",
    "At risk": "#c62828",
    "High": "#c62828",
    "Medium": "#f0a30a",
    "Low": "#1a7f37",
    "Dropped out": "#c62828",
    "Stayed": "#1a7f37",
}
FALLBACK_COLOURS = ["#2c7fb8", "#7b3294", "#008837", "#e66101", "#5e3c99"]
NESTED = ("marker", "line", "title")
BASE_LAYOUT = {
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "colorway": ["#2c7fb8", "#c62828", "#1a7f37", "#f0a30a", "#7b3294", "#5e3c99"],
    "xaxis": {"gridcolor": "#ebf0f8", "linecolor": "#ebf0f8", "zerolinecolor": "#ebf0f8", "automargin": True},
    "yaxis": {"gridcolor": "#ebf0f8", "linecolor": "#ebf0f8", "zerolinecolor": "#ebf0f8", "automargin": True},
    "hoverlabel": {"align": "left"},
}


def _expand(values: dict[str, Any]) -> dict[str, Any]:
    """Plotly's short keys (marker_color, line_dash, title_text) as nested dicts."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        head, _, rest = key.partition("_")
        if rest and head in NESTED:
            _merge(out, {head: _expand({rest: value})})
        else:
            _merge(out, {key: value})
    return out


def _merge(target: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
    return target


def trace(kind: str, **values: Any) -> dict[str, Any]:
    """A Plotly trace as a plain dict (no graph-object validation: figures build in microseconds)."""
    return {"type": kind, **_expand(values)}


class Figure:
    """The few graph-object methods these pages use, building a plain figure dict that dcc.Graph takes."""

    def __init__(self, data: dict[str, Any] | list[dict[str, Any]] | None = None) -> None:
        self.data: list[dict[str, Any]] = [data] if isinstance(data, dict) else list(data or [])
        self.layout: dict[str, Any] = copy.deepcopy(BASE_LAYOUT)

    def add_bar(self, **values: Any) -> None:
        self.data.append(trace("bar", **values))

    def add_scatter(self, **values: Any) -> None:
        self.data.append(trace("scatter", **values))

    def update_layout(self, **values: Any) -> Figure:
        _merge(self.layout, _expand(values))
        return self

    def update_xaxes(self, **values: Any) -> None:
        _merge(self.layout.setdefault("xaxis", {}), _expand(values))

    def update_yaxes(self, **values: Any) -> None:
        _merge(self.layout.setdefault("yaxis", {}), _expand(values))

    def add_annotation(self, **values: Any) -> None:
        self.layout.setdefault("annotations", []).append(values)

    def add_vline(self, x: float, line_dash: str = "dot", line_color: str = "#666") -> None:
        line = {"dash": line_dash, "color": line_color}
        shape = {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 1,
            "line": line,
        }
        self.layout.setdefault("shapes", []).append(shape)

    def add_hline(
        self, y: float, line_dash: str = "dot", line_color: str = "#666", annotation_text: str | None = None
    ) -> None:
        line = {"dash": line_dash, "color": line_color}
        shape = {
            "type": "line",
            "xref": "paper",
            "yref": "y",
            "x0": 0,
            "x1": 1,
            "y0": y,
            "y1": y,
            "line": line,
        }
        self.layout.setdefault("shapes", []).append(shape)
        if annotation_text:
            self.add_annotation(
                text=annotation_text,
                x=1,
                xref="paper",
                y=y,
                yref="y",
                showarrow=False,
                xanchor="right",
                yanchor="bottom",
            )

    def to_plotly_json(self) -> dict[str, Any]:
        return {"data": self.data, "layout": self.layout}


FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}


def colour(name: str, index: int = 0) -> str:
    """The colour of a level or risk group (a fixed palette otherwise)."""
    return GROUP_COLOURS.get(name, FALLBACK_COLOURS[index % len(FALLBACK_COLOURS)])


# The title starts below Plotly's toolbar (top right, about 30 px high) and the legend sits at the
# figure's foot, under the x axis' title rather than over it: both placed against the whole figure.
TOOLBAR_PX = 34
MARGIN = {"l": 60, "r": 20, "t": TOOLBAR_PX + 36, "b": 110}


def frame(title: str, margin: dict[str, int] | None = None) -> dict[str, Any]:
    """Title, legend and margins shared by the admin figures (`margin` overrides sides of MARGIN)."""
    return {
        "title": {
            "text": title,
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": TOOLBAR_PX},
            "font": {"size": 14},
        },
        "font": FONT,
        "margin": {**MARGIN, **(margin or {})},
        "legend": {"orientation": "h", "x": 0, "y": 0, "yref": "container", "yanchor": "bottom"},
    }


def layout(fig: Figure, title: str, x: str | None = None, y: str | None = None, **extra: Any) -> Figure:
    fig.update_layout(**{**frame(title, extra.pop("margin", None)), **extra})
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    return fig


def empty_figure(title: str, message: str) -> Figure:
    """A titled figure that says why there is nothing to draw."""
    fig = Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, title)


def graph_config(filename: str) -> dict[str, Any]:
    """Modebar settings: PNG download (rendered in the browser, no network) named after the figure."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d"],
    }


def figure_card(graph_id: str, csv_id: dict[str, str], filename: str, height: int = 360) -> dbc.Card:
    """A figure with its CSV download button (PNG is in the figure's own toolbar)."""
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Graph(
                    id=graph_id,
                    config=graph_config(filename),
                    style={"height": f"{height}px"},
                    figure=empty_figure("Loading…", ""),
                ),
                dbc.Button(
                    "Data as CSV",
                    id=csv_id,
                    size="sm",
                    color="secondary",
                    outline=True,
                    className="mt-1",
                    title="Download the numbers behind this figure",
                ),
            ],
            className="p-2",
        ),
        className="mb-3 h-100",
    )


def centres(edges: list[float]) -> list[float]:
    return [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]


IMPORTANCE_HEIGHT = 560


def importance_figure(importance: dict[str, Any], title: str | None = None) -> Figure:
    """A model's permutation importance per field, largest first."""
    values = importance.get("importance") or {}
    heading = title or (
        f"Feature importance of the active model (v{importance['version']}, {importance['algorithm']})"
        if importance.get("version")
        else "Feature importance"
    )
    if not values:
        return empty_figure(heading, "No model, or no importance stored with it.")
    names = list(values)[:20]
    fig = Figure(
        trace(
            "bar",
            x=[values[n] for n in names],
            y=names,
            orientation="h",
            marker_color="#2c7fb8",
            hovertemplate="%{y}: %{x:.4f}<extra></extra>",
        )
    )
    # Every bar labelled: Plotly thins out dense category labels on its own (the graphs that
    # show this figure are IMPORTANCE_HEIGHT tall, room for a label per bar).
    fig.update_yaxes(autorange="reversed", tickmode="array", tickvals=names, ticktext=names)
    method = importance.get("method") or ""
    axis = "Drop in ROC AUC when shuffled" if "AUC" in method else "Increase in MAE when shuffled (points)"
    return layout(fig, heading, axis, None, margin={"l": 170, "b": 50})


def calibration_figure(curve: list[dict[str, float]]) -> Figure:
    """Observed dropout rate against the mean predicted probability per bin (out-of-fold)."""
    title = "Calibration curve (out-of-fold)"
    if not curve:
        return empty_figure(title, "Not stored with this version.")
    fig = Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#888"}, name="perfect")
    fig.add_scatter(
        x=[p["mean_predicted"] for p in curve],
        y=[p["observed_rate"] for p in curve],
        mode="lines+markers",
        marker={"size": [6 + 14 * math.sqrt(p["count"] / max(q["count"] for q in curve)) for p in curve]},
        customdata=[p["count"] for p in curve],
        hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{customdata:,} rows<extra></extra>",
        name="model",
    )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return layout(fig, title, "Mean predicted probability", "Observed dropout rate")


def confusion_figure(confusion: dict[str, Any] | None) -> Figure:
    """Counts of stayed/dropped out against predicted, at the stored threshold."""
    if not confusion:
        return empty_figure("Confusion matrix", "Not stored with this version.")
    matrix = confusion["matrix"]
    labels = ["Stayed", "Dropped out"]
    fig = Figure(
        trace(
            "heatmap",
            z=matrix,
            x=[f"Predicted {v.lower()}" for v in labels],
            y=[f"Actually {v.lower()}" for v in labels],
            colorscale="Blues",
            text=[[f"{v:,}" for v in row] for row in matrix],
            texttemplate="%{text}",
            hovertemplate="%{y}, %{x}: %{z:,}<extra></extra>",
            colorbar={"title": {"text": "rows"}},
        )
    )
    fig.update_yaxes(autorange="reversed")
    title = (
        f"Confusion matrix at p ≥ {confusion['threshold']:.2f} (accuracy {confusion['accuracy']:.3f}, "
        f"precision {confusion['precision']:.3f}, recall {confusion['recall']:.3f})"
    )
    return layout(fig, title, "Prediction", "Truth")


def residuals_figure(details: dict[str, Any], coverage: float | None) -> Figure:
    """Histogram of out-of-fold residuals with the conformal interval's half-width marked."""
    residuals = details.get("residuals")
    if not residuals:
        return empty_figure("Residuals", "Not stored with this version.")
    edges = residuals["histogram"]["edges"]
    counts = residuals["histogram"]["counts"]
    fig = Figure(
        trace(
            "bar",
            x=centres(edges),
            y=counts,
            width=edges[1] - edges[0],
            marker_color="#2c7fb8",
            hovertemplate="%{x:.2f} points: %{y:,} rows<extra></extra>",
            name="residuals",
        )
    )
    half = details.get("interval_halfwidth")
    if half:
        for x in (-half, half):
            fig.add_vline(x=x, line_dash="dot", line_color="#c62828")
    shown = f"{coverage:.1%}" if coverage is not None else "n/a"
    level = details.get("interval_level", EXAM.outcome.interval_level)
    title = (
        f"Out-of-fold residuals; dotted: ±{half or 0:.2f}-point interval, covers {shown} (target {level:.0%})"
    )
    return layout(fig, title, "Residual: actual − predicted (points)", "Rows (count)", bargap=0.02)


def history_curves_figure(history: dict[str, Any] | None) -> Figure:
    """A Keras model's loss per epoch (training and validation)."""
    curves = {k: v for k, v in (history or {}).items() if isinstance(v, list)}
    if not curves:
        return empty_figure("Keras training history", "This version has no Keras model or history.")
    fig = Figure()
    for name, values in curves.items():
        fig.add_scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines", name=name)
    return layout(
        fig,
        f"Keras training history ({history.get('source', 'Keras MLP')})",
        "Epoch",
        "Loss (standardised target units)",
    )


def coverage_figure(metrics: dict[str, Any], level: float) -> Figure:
    """Each candidate's cross-validated interval coverage (± std over folds) against the target level."""
    candidates = [c for c in metrics.get("candidates") or [] if "interval_coverage" in c["metrics"]]
    title = f"Interval coverage per candidate (target {level:.0%})"
    if not candidates:
        return empty_figure(title, "Not stored with this version.")
    fig = Figure(
        trace(
            "bar",
            x=[c["name"] for c in candidates],
            y=[c["metrics"]["interval_coverage"] for c in candidates],
            error_y={
                "type": "data",
                "array": [c["metrics"].get("interval_coverage_std", 0) for c in candidates],
            },
            customdata=[c["metrics"].get("interval_width") for c in candidates],
            marker_color=["#1a7f37" if c["name"] == metrics.get("winner") else "#2c7fb8" for c in candidates],
            hovertemplate="%{x}: %{y:.1%} covered<br>width %{customdata:.2f} points<extra></extra>",
        )
    )
    fig.add_hline(y=level, line_dash="dot", line_color="#c62828", annotation_text=f"target {level:.0%}")
    fig.update_yaxes(range=[max(0.0, level - 0.2), 1.0], tickformat=".0%")
    return layout(fig, title, "Candidate (green: chosen)", "Share of actual scores inside the interval")
