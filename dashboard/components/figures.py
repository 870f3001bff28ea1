"""Plotly figures and level colours shared by the prediction, trends and home pages.

Colours follow the configured bands: the best band is green, the worst red (for exam scores the
highest band is best, for dropout risk the highest band is worst), so changing the bands in the
settings recolours every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from modelling.levels import Bands, level_for, level_names
from modelling.tasks import task_for

GOOD, BAD = "#198754", "#dc3545"
PALETTES = {
    1: [GOOD],
    2: [GOOD, BAD],
    3: [GOOD, "#ffc107", BAD],
    4: [GOOD, "#8fbc3b", "#fd7e14", BAD],
    5: [GOOD, "#6cb33f", "#ffc107", "#fd7e14", BAD],
}
# White on orange is 2.9:1 (WCAG asks 4.5:1): the light colours carry dark text.
DARK_TEXT = {"#ffc107", "#8fbc3b", "#6cb33f", "#fd7e14"}
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
GRID = "#e9ecef"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


TREND_LINE = {"color": "#0d6efd", "width": 2}


def is_risk(task: str) -> bool:
    """True when higher values are worse for the student (a risk), as the task declares."""
    return task_for(task).better < 0


def band_colors(task: str, bands: Bands) -> dict[str, str]:
    """Band name -> colour, green for the best band through red for the worst."""
    names = level_names(bands)
    if is_risk(task):
        names = names[::-1]
    palette = PALETTES.get(len(names)) or [GOOD] * (len(names) - 1) + [BAD]
    return dict(zip(names, palette, strict=False))


def level_badge(task: str, level: str, bands: Bands, badge_id: str | None = None) -> dbc.Badge:
    """The level (or risk level) as a coloured badge."""
    color = band_colors(task, bands).get(level, "#6c757d")
    kwargs = {"id": badge_id} if badge_id else {}
    label = f"{level} risk" if is_risk(task) else level
    text = "dark" if color in DARK_TEXT else "white"
    return dbc.Badge(label, color=color, text_color=text, className="level-badge", **kwargs)


def bands_legend(task: str, bands: Bands) -> html.Div:
    """The bands with their ranges, as small coloured badges (worst to best, left to right)."""
    colors = band_colors(task, bands)
    _, top = scale(task)
    items = []
    for name, start, end in _bands_ranges(bands, top):
        shown = (
            f"{start:.0%}–{end:.0%}"
            if is_risk(task)
            else f"{start:g}–{end:g}"
            if end < top
            else f"≥ {start:g}"
        )
        text = "dark" if colors.get(name) in DARK_TEXT else "white"
        items.append(
            dbc.Badge(
                f"{name} {shown}", color=colors.get(name, "#6c757d"), text_color=text, className="me-1 mb-1"
            )
        )
    if not is_risk(task):
        items = items[::-1]
    return html.Div(items, className="bands-legend small")


def scale(task: str) -> tuple[float, float]:
    """Axis range of a task's value (exam: 0..100 points; dropout: 0..1, shown as %)."""
    return task_for(task).outcome.scale


def _axis(**settings: Any) -> dict[str, Any]:
    return {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True, **settings}


def _figure(data: list[dict], title: str, height: int, **layout: Any) -> dict[str, Any]:
    """A Plotly figure as a plain dict (no validation pass: cheap to build on every callback)."""
    base = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 40},
        "showlegend": False,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"align": "left"},
    }
    return {"data": data, "layout": {**base, **layout}}


def _band_shapes(bands: Bands, colors: dict[str, str], top: float, axis: str, opacity: float) -> list[dict]:
    other = "y" if axis == "x" else "x"
    return [
        {
            "type": "rect",
            "layer": "below",
            f"{axis}ref": axis,
            f"{other}ref": "paper",
            f"{axis}0": start,
            f"{axis}1": end,
            f"{other}0": 0,
            f"{other}1": 1,
            "fillcolor": colors.get(name, "#ddd"),
            "opacity": opacity,
            "line": {"width": 0},
        }
        for name, start, end in _bands_ranges(bands, top)
    ]


def _bands_ranges(bands: Bands, top: float) -> list[tuple[str, float, float]]:
    ordered = sorted(bands, key=lambda band: band[1])
    ranges = []
    for index, (name, lower) in enumerate(ordered):
        upper = ordered[index + 1][1] if index + 1 < len(ordered) else top
        ranges.append((name, lower, upper))
    return ranges


def outcome_figure(task: str, value: float, bands: Bands, interval: dict[str, float] | None = None) -> dict:
    """A bar from 0 to the prediction, coloured by its band, over the shaded bands (traffic light)."""
    low, high = scale(task)
    colors = band_colors(task, bands)
    level = level_for(value, bands)
    bar: dict[str, Any] = {
        "type": "bar",
        "x": [value],
        "y": [""],
        "orientation": "h",
        "marker": {"color": colors.get(level, "#6c757d")},
        "width": 0.45,
        "hovertemplate": task_for(task).outcome.headline(value) + "<extra></extra>",
    }
    if interval:
        bar["error_x"] = {
            "type": "data",
            "symmetric": False,
            "array": [interval["high"] - value],
            "arrayminus": [value - interval["low"]],
            "thickness": 2,
            "width": 10,
            "color": "#212529",
        }
    if is_risk(task):
        title, axis = "Dropout probability by risk band", {"title": {"text": "Probability of dropping out"}}
        axis["tickformat"] = ".0%"
    else:
        title, axis = (
            "Predicted score with its 90% interval",
            {"title": {"text": "Exam score (points, 0 to 100)"}},
        )
    return _figure(
        [bar],
        title,
        150,
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
        shapes=_band_shapes(bands, colors, high, "x", 0.16),
        xaxis=_axis(range=[low, high], fixedrange=True, **axis),
        yaxis=_axis(showticklabels=False, fixedrange=True),
    )


def contributions_figure(task: str, contributions: Sequence[dict[str, Any]], top: int = 10) -> dict:
    """Horizontal bars: how much each factor pushed the prediction up or down from a typical student."""
    items = [c for c in contributions if abs(c["contribution"]) > 1e-9]
    shown, rest = items[:top], items[top:]
    labels = [f"{c['label']} ({_value_text(c['value'])})" for c in shown]
    values = [c["contribution"] for c in shown]
    if rest:
        labels.append(f"{len(rest)} other factor{'s' if len(rest) != 1 else ''}")
        values.append(sum(c["contribution"] for c in rest))
    labels, values = labels[::-1], values[::-1]
    favourable = [(v < 0) if is_risk(task) else (v > 0) for v in values]
    unit = task_for(task).outcome.contribution_unit
    bars = {
        "type": "bar",
        "x": values,
        "y": labels,
        "orientation": "h",
        "marker": {"color": [GOOD if good else BAD for good in favourable]},
        "text": [f"{v:+.2f}" for v in values],
        "textposition": "auto",
        # A value written beside the longest bar may cross the plot's edge: draw it anyway.
        "cliponaxis": False,
        "hovertemplate": "%{y}: %{x:+.3f} " + unit + "<extra></extra>",
    }
    if is_risk(task):
        title, axis = "Effect of each factor on the risk", "Change in risk (log-odds)"
    else:
        title, axis = "Effect of each factor on the score", "Change in score (points)"
    return _figure(
        [bars],
        title,
        90 + 28 * len(labels),
        margin={"l": 10, "r": 48, "t": 48, "b": 40},
        xaxis=_axis(title={"text": axis}, zeroline=True, zerolinecolor="#adb5bd"),
        yaxis=_axis(),
    )


def _value_text(value: Any) -> str:
    if value is None:
        return "not given"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def trend_figure(task: str, data: dict[str, Any], bands: Bands) -> dict:
    """Saved predictions over time, with the level bands shaded (per day when there are many)."""
    low, high = scale(task)
    colors = band_colors(task, bands)
    labels = [
        {
            "x": 1.0,
            "xref": "paper",
            "xanchor": "right",
            "y": (start + end) / 2,
            "yref": "y",
            "text": name,
            "showarrow": False,
            "font": {"size": 10, "color": "#495057"},
        }
        for name, start, end in _bands_ranges(bands, high)
    ]
    value_format = "%{y:.0%}" if is_risk(task) else "%{y:.1f}"
    traces = (_daily_traces if data["daily"] else _record_traces)(data["points"], value_format, colors)
    suffix = " (daily mean and range)" if data["daily"] else ""
    if is_risk(task):
        title = "Your dropout risk over time" + suffix
        yaxis = _axis(title={"text": "Dropout probability"}, tickformat=".0%", range=[low, high])
    else:
        title = "Your predicted exam score over time" + suffix
        yaxis = _axis(title={"text": "Predicted exam score (points)"}, range=[low, high])
    return _figure(
        traces,
        title,
        340,
        shapes=_band_shapes(bands, colors, high, "y", 0.12),
        annotations=labels,
        xaxis=_time_axis([p["when"] for p in data["points"]], data["daily"]),
        yaxis=yaxis,
    )


def _daily_traces(points: list[dict], value_format: str, colors: dict[str, str]) -> list[dict]:
    """Each day's mean as a line, its range shaded behind it."""
    when = [p["when"] for p in points]
    return [
        {
            "type": "scatter",
            "x": when + when[::-1],
            "y": [p["high"] for p in points] + [p["low"] for p in points][::-1],
            "fill": "toself",
            "fillcolor": "rgba(13,110,253,0.15)",
            "line": {"width": 0},
            "hoverinfo": "skip",
            "name": "daily range",
        },
        {
            "type": "scatter",
            "x": when,
            "y": [p["value"] for p in points],
            "mode": "lines" if len(points) > 60 else "lines+markers",
            "line": TREND_LINE,
            "marker": {"size": 5},
            "customdata": [p["n"] for p in points],
            "hovertemplate": "%{x|%Y-%m-%d}: mean " + value_format + " of %{customdata} saved<extra></extra>",
        },
    ]


def _record_traces(points: list[dict], value_format: str, colors: dict[str, str]) -> list[dict]:
    """Each saved prediction as a point coloured by its level."""
    return [
        {
            "type": "scatter",
            "x": [p["when"] for p in points],
            "y": [p["value"] for p in points],
            "mode": "lines+markers",
            "line": TREND_LINE,
            "marker": {"size": 8, "color": [colors.get(p["level"], "#0d6efd") for p in points]},
            "customdata": [[p["level"], p["id"]] for p in points],
            "hovertemplate": "%{x|%Y-%m-%d %H:%M}: " + value_format + " (%{customdata[0]}), record "
            "#%{customdata[1]}<extra></extra>",
        }
    ]


def _time_axis(when: list, daily: bool) -> dict:
    """The dates axis; at least a day wide, so that a few saves in one sitting do not fill it."""
    xaxis = _axis(title={"text": "Date saved (UTC)"}, tickformat="%Y-%m-%d" if daily else "%b %d, %H:%M")
    if when and max(when) - min(when) < timedelta(hours=12):
        middle = min(when) + (max(when) - min(when)) / 2
        xaxis["range"] = [middle - timedelta(hours=12), middle + timedelta(hours=12)]
    return xaxis


def sparkline(task: str, points: Sequence[dict[str, Any]], bands: Bands) -> dict:
    """A small line of recent values without axes (details on hover)."""
    low, high = scale(task)
    colors = band_colors(task, bands)
    line = {
        "type": "scatter",
        "x": list(range(len(points))),
        "y": [p["value"] for p in points],
        "mode": "lines+markers",
        "line": {"color": "#6c757d", "width": 1.5},
        "marker": {"size": 5, "color": [colors.get(p["level"], "#6c757d") for p in points]},
        "customdata": [p["when"].strftime("%Y-%m-%d") for p in points],
        "hovertemplate": "%{customdata}: "
        + ("%{y:.0%}" if is_risk(task) else "%{y:.1f}")
        + "<extra></extra>",
    }
    return {
        "data": [line],
        "layout": {
            "height": 70,
            "margin": {"l": 0, "r": 0, "t": 4, "b": 4},
            "showlegend": False,
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "xaxis": {"visible": False, "fixedrange": True},
            "yaxis": {"visible": False, "range": [low, high], "fixedrange": True},
        },
    }


def graph(graph_id: str, figure: dict, label: str, **kwargs: Any) -> html.Div:
    """A figure with the shared config, wrapped in a region that names it for screen readers."""
    config = kwargs.pop("config", GRAPH_CONFIG)
    return html.Div(
        dcc.Graph(id=graph_id, figure=figure, config=config, **kwargs),
        role="figure",
        **{"aria-label": label},
    )
