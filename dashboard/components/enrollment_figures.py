"""The enrollment page's figures: activity by day and event type, the daily total against the course."""

from __future__ import annotations

from typing import Any

from dashboard.components.figures import FONT, GRID

EVENT_LABELS = {
    "navigate": "Navigate",
    "access": "Access",
    "page_close": "Page close",
    "problem": "Problem",
    "video": "Video",
    "discussion": "Discussion",
    "wiki": "Wiki",
}


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    axis = {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True}
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "font": FONT,
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 48, "b": 40},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {**axis, "title": {"text": "Day of the course"}, **extra.pop("xaxis", {})},
        "yaxis": {**axis, **extra.pop("yaxis", {})},
        **extra,
    }


def activity_heatmap(view: dict[str, Any]) -> dict[str, Any]:
    """Event types (rows) by day (columns), coloured by count; empty days are white."""
    types = view["event_types"]
    counts = [[day[k] for day in view["matrix"]] for k in range(len(types))]
    trace = {
        "type": "heatmap",
        "x": view["days"],
        "y": [EVENT_LABELS.get(name, name) for name in types],
        "z": counts,
        "colorscale": [[0, "#ffffff"], [0.001, "#deebf7"], [1, "#08519c"]],
        "xgap": 1,
        "ygap": 1,
        "colorbar": {"title": {"text": "Events"}, "thickness": 12},
        "hovertemplate": "Day %{x}<br>%{y}: %{z}<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": _layout("Activity by day and event type", 320, yaxis={"autorange": "reversed"}),
    }


def daily_total_figure(view: dict[str, Any]) -> dict[str, Any]:
    """The learner's events per day against the median learner of the course."""
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "This learner",
            "x": view["days"],
            "y": view["daily_total"],
            "line": {"color": "#0d6efd", "width": 2},
            "hovertemplate": "Day %{x}: %{y} events<extra>This learner</extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Course median",
            "x": view["days"],
            "y": view["course_median"],
            "line": {"color": "#6c757d", "width": 2, "dash": "dash"},
            "hovertemplate": "Day %{x}: %{y} events<extra>Course median</extra>",
        },
    ]
    layout = _layout(
        "Events per day: this learner and the course median",
        300,
        yaxis={"title": {"text": "Events"}, "rangemode": "tozero"},
        showlegend=True,
        legend={"orientation": "h", "y": -0.25},
    )
    return {"data": data, "layout": layout}
