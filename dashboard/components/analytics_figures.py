"""The Analytics page's figures and the tables behind them (for CSV download)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from dashboard.components.admin_figures import Figure, centres, colour, empty_figure, layout, trace
from modelling.tasks import task_for


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
    return layout(
        fig,
        f"{group_title(profile)} distribution "
        f"({'n = ' + format(profile['rows'], ',') if profile['rows'] is not None else sample_note(profile)}"
        "; click a bar to filter)",
        group_title(profile),
        "Rows (count)",
        clickmode="event",
    )


def _unit(item: dict[str, Any]) -> str:
    return f"{item['label']} ({item['unit']})" if item.get("unit") else item["label"]


def numeric_figure(profile: dict[str, Any], item: dict[str, Any], title: str | None = None) -> Figure:
    """A field's histogram stacked by group; drag across it to filter every chart to that range."""
    if not item["edges"]:
        return empty_figure(title or item["label"], "No rows in this cohort.")
    mids = centres(item["edges"])
    width = item["edges"][1] - item["edges"][0]
    fig = Figure()
    for index, (group, counts) in enumerate(item["counts"].items()):
        if not any(counts):
            continue
        fig.add_bar(
            x=mids,
            y=counts,
            width=width,
            name=group,
            marker_color=colour(group, index),
            hovertemplate=f"{group}<br>%{{x:.3g}}: %{{y:,}} rows<extra></extra>",
        )
    return layout(
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
    return layout(
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
    return layout(fig, title, "Group average as % of the cohort average", None, barmode="group")


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
    return layout(
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
    return layout(fig, title, _unit(x), _unit(y))


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
