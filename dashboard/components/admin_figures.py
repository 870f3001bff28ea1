"""Figures and their data tables for the administrator pages (analytics, at-risk, models)."""

from __future__ import annotations

import copy
import math
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc

from modelling.tasks import EXAM, task_for

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


def _layout(fig: Figure, title: str, x: str | None = None, y: str | None = None, **extra: Any) -> Figure:
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
    return _layout(fig, title)


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


def sample_note(profile: dict[str, Any]) -> str:
    if profile["rows"] is None:
        return f"newest {profile['analysed']:,} matching"
    if profile["analysed"] < profile["rows"]:
        return f"newest {profile['analysed']:,} of {profile['rows']:,}"
    return f"n = {profile['analysed']:,}"


def group_title(profile: dict[str, Any]) -> str:
    """What the groups are: predicted (risk) levels, or actual outcomes of the training data."""
    task = task_for(profile["task"])
    return task.actual_label if profile["source"] == "training" else task.level_label


IMPORTANCE_HEIGHT = 560
NO_ROWS = "No rows in this cohort yet: saved predictions appear here (widen the filters, or save some)."


def level_figure(profile: dict[str, Any]) -> Figure:
    """Rows per group (click a bar to filter every chart to it)."""
    groups = profile["groups"]
    if not any(g["count"] for g in groups):
        return empty_figure(f"{group_title(profile)} distribution", NO_ROWS)
    fig = Figure(
        trace(
            "bar",
            x=[g["name"] for g in groups],
            y=[g["count"] for g in groups],
            marker_color=[colour(g["name"], i) for i, g in enumerate(groups)],
            text=[f"{g['count']:,}" for g in groups],
            textposition="auto",
            hovertemplate="%{x}: %{y:,} rows<extra></extra>",
        )
    )
    return _layout(
        fig,
        f"{group_title(profile)} distribution "
        f"({'n = ' + format(profile['rows'], ',') if profile['rows'] is not None else sample_note(profile)}"
        "; click a bar to filter)",
        group_title(profile),
        "Rows (count)",
        clickmode="event",
    )


def _centres(edges: list[float]) -> list[float]:
    return [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _unit(item: dict[str, Any]) -> str:
    return f"{item['label']} ({item['unit']})" if item.get("unit") else item["label"]


def numeric_figure(profile: dict[str, Any], item: dict[str, Any], title: str | None = None) -> Figure:
    """A field's histogram stacked by group; drag across it to filter every chart to that range."""
    if not item["edges"]:
        return empty_figure(title or item["label"], "No rows in this cohort.")
    centres = _centres(item["edges"])
    width = item["edges"][1] - item["edges"][0]
    fig = Figure()
    for index, (group, counts) in enumerate(item["counts"].items()):
        if not any(counts):
            continue
        fig.add_bar(
            x=centres,
            y=counts,
            width=width,
            name=group,
            marker_color=colour(group, index),
            hovertemplate=f"{group}<br>%{{x:.3g}}: %{{y:,}} rows<extra></extra>",
        )
    return _layout(
        fig,
        title or f"{item['label']} ({sample_note(profile)})",
        _unit(item),
        "Rows (count)",
        barmode="stack",
        bargap=0.02,
        dragmode="select",
        selectdirection="h",
        clickmode="event+select",
    )


def category_figure(profile: dict[str, Any], item: dict[str, Any]) -> Figure:
    """A category field's counts stacked by group; click a bar to filter every chart to it."""
    values = item["values"]
    if not values:
        return empty_figure(item["label"], "No rows in this cohort.")
    fig = Figure()
    for index, (group, counts) in enumerate(item["counts"].items()):
        if not any(counts.values()):
            continue
        fig.add_bar(
            x=values,
            y=[counts.get(v, 0) for v in values],
            name=group,
            marker_color=colour(group, index),
            hovertemplate=f"{group}<br>%{{x}}: %{{y:,}} rows<extra></extra>",
        )
    return _layout(
        fig,
        f"{item['label']} ({sample_note(profile)})",
        item["label"],
        "Rows (count)",
        barmode="stack",
        clickmode="event",
    )


def group_means_figure(profile: dict[str, Any]) -> Figure:
    """Each numeric field's average per group, relative to the cohort average (100)."""
    title = (
        f"Feature averages by {group_title(profile).lower()} (100 = cohort average; {sample_note(profile)})"
    )
    items = [i for i in profile["numeric"] if i["name"] != profile["value"] and i["overall"]]
    if not items:
        return empty_figure(title, "No rows in this cohort.")
    fig = Figure()
    for index, group in enumerate(g["name"] for g in profile["groups"]):
        means = [i["mean"].get(group) for i in items]
        if all(m is None for m in means):
            continue
        fig.add_bar(
            y=[i["label"] for i in items],
            x=[None if m is None else 100 * m / i["overall"] for m, i in zip(means, items, strict=True)],
            customdata=[[m, i["unit"]] for m, i in zip(means, items, strict=True)],
            orientation="h",
            name=group,
            marker_color=colour(group, index),
            hovertemplate=f"{group}<br>%{{y}}: average %{{customdata[0]:.3g}} %{{customdata[1]}}"
            "<br>%{x:.0f} % of the cohort average<extra></extra>",
        )
    fig.add_vline(x=100, line_dash="dot", line_color="#666")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, "Group average as % of the cohort average", None, barmode="group")


def correlation_figure(profile: dict[str, Any]) -> Figure:
    """Pearson correlations of the numeric fields; click a cell to see that pair."""
    corr = profile["correlation"]
    labels = corr["labels"]
    if (profile["analysed"] or 0) < 2:
        # A correlation needs at least two rows; with fewer, any number drawn would be made up.
        return empty_figure("Correlations (Pearson r)", "Correlations need at least two rows in this cohort.")
    fig = Figure(
        trace(
            "heatmap",
            z=corr["matrix"],
            x=labels,
            y=labels,
            zmin=-1,
            zmax=1,
            colorscale=[[0, "#2166ac"], [0.5, "#f7f7f7"], [1, "#b2182b"]],
            colorbar={"title": {"text": "r"}},
            text=[[f"{v:.2f}" for v in row] for row in corr["matrix"]],
            texttemplate="%{text}" if len(labels) <= 8 else None,
            hovertemplate="%{y} vs %{x}<br>r = %{z:.3f}<extra>click for the scatter</extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig,
        f"Correlations (Pearson r, {sample_note(profile)}; click a cell)",
        None,
        None,
        margin={"l": 150, "b": 120},
    )


def density_figure(pair: dict[str, Any] | None) -> Figure:
    """The scatter of a pair of fields, drawn as counts on a grid (each dot: rows near that point)."""
    if pair is None:
        return empty_figure("Scatter of a pair", "Click a cell of the correlation heatmap.")
    x, y = pair["x"], pair["y"]
    title = f"{y['label']} vs {x['label']} (n = {pair['analysed']:,})"
    points = pair["points"]
    if not points:
        return empty_figure(title, "No rows in this cohort.")
    largest = max(p["count"] for p in points)
    fig = Figure(
        trace(
            "scatter",
            x=[p["x"] for p in points],
            y=[p["y"] for p in points],
            mode="markers",
            marker={
                "size": [6 + 22 * math.sqrt(p["count"] / largest) for p in points],
                "color": [p["count"] for p in points],
                "colorscale": "Viridis",
                "colorbar": {"title": {"text": "rows"}},
                "opacity": 0.8,
            },
            customdata=[p["count"] for p in points],
            hovertemplate=f"{x['label']} %{{x:.3g}}<br>{y['label']} %{{y:.3g}}<br>%{{customdata:,}} rows"
            "<extra></extra>",
        )
    )
    return _layout(fig, title, _unit(x), _unit(y))


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
    return _layout(fig, heading, axis, None, margin={"l": 170, "b": 50})


def figure_table(
    profile: dict[str, Any], key: str, pair: dict[str, Any] | None = None, importance: dict | None = None
) -> pd.DataFrame:
    """The numbers behind one analytics figure, as a table for CSV download."""
    groups = [g["name"] for g in profile["groups"]]
    if key == "levels":
        return pd.DataFrame([{"group": g["name"], "rows": g["count"]} for g in profile["groups"]])
    if key == "means":
        return pd.DataFrame(
            [
                {"field": i["name"], "cohort_average": i["overall"], **{g: i["mean"].get(g) for g in groups}}
                for i in profile["numeric"]
            ]
        )
    if key == "correlation":
        corr = profile["correlation"]
        return pd.DataFrame(corr["matrix"], index=corr["fields"], columns=corr["fields"]).reset_index(
            names="field"
        )
    if key == "scatter":
        points = (pair or {}).get("points") or []
        return pd.DataFrame(points, columns=["x", "y", "count"])
    if key == "importance":
        values = (importance or {}).get("importance") or {}
        return pd.DataFrame({"field": list(values), "importance": list(values.values())})
    for item in profile["numeric"]:
        if key in (f"field-{item['name']}", "value") and (key != "value" or item["name"] == profile["value"]):
            edges = item["edges"]
            rows = [
                {"from": edges[b], "to": edges[b + 1], **{g: item["counts"][g][b] for g in groups}}
                for b in range(len(edges) - 1)
            ]
            return pd.DataFrame(rows, columns=["from", "to", *groups])
    for item in profile["category"]:
        if key == f"field-{item['name']}":
            return pd.DataFrame(
                [{"value": v, **{g: item["counts"][g].get(v, 0) for g in groups}} for v in item["values"]],
                columns=["value", *groups],
            )
    raise KeyError(key)


def history_figure(rows: list[dict[str, Any]], bands: list[tuple[str, float]], student_ref: str) -> Figure:
    """A student's dropout probability over time, with the risk bands' lower bounds."""
    title = f"Dropout risk of {student_ref} over time"
    if not rows:
        return empty_figure(title, "No dropout predictions saved for this student.")
    fig = Figure(
        trace(
            "scatter",
            x=[r["created_at"].isoformat() for r in rows],
            y=[r["probability"] for r in rows],
            mode="lines+markers",
            marker={"color": [colour(r["risk_level"]) for r in rows], "size": 9},
            customdata=[[r["risk_level"], r["model_version"]] for r in rows],
            hovertemplate="%{x}<br>p = %{y:.2f} (%{customdata[0]}, model v%{customdata[1]})<extra></extra>",
            name="probability",
        )
    )
    for name, lower in bands:
        if lower > 0:
            fig.add_hline(
                y=lower, line_dash="dot", line_color=colour(name), annotation_text=f"{name} ≥ {lower}"
            )
    fig.update_yaxes(range=[0, 1])
    fig.update_xaxes(type="date")
    return _layout(fig, title, "Saved at (UTC)", "Dropout probability (0–1)")


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
    return _layout(fig, title, "Mean predicted probability", "Observed dropout rate")


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
    return _layout(fig, title, "Prediction", "Truth")


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
            x=_centres(edges),
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
    return _layout(fig, title, "Residual: actual − predicted (points)", "Rows (count)", bargap=0.02)


def history_curves_figure(history: dict[str, Any] | None) -> Figure:
    """A Keras model's loss per epoch (training and validation)."""
    curves = {k: v for k, v in (history or {}).items() if isinstance(v, list)}
    if not curves:
        return empty_figure("Keras training history", "This version has no Keras model or history.")
    fig = Figure()
    for name, values in curves.items():
        fig.add_scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines", name=name)
    return _layout(
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
    return _layout(fig, title, "Candidate (green: chosen)", "Share of actual scores inside the interval")
