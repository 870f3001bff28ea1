"""The early-warning figures of the Models page: how early dropout can be told, and calibration."""

from __future__ import annotations

from typing import Any

from dashboard.components.admin_figures import Figure, colour, empty_figure, frame


def _layout(fig: Figure, title: str, x: str, y: str) -> Figure:
    fig.update_layout(**frame(title))
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=y)
    return fig


def auc_by_checkpoint_figure(metrics: dict[str, Any], floor: float | None) -> Figure:
    """ROC AUC by checkpoint day of the chosen models and every candidate (course-grouped), and the floor."""
    title = "How early can we tell? ROC AUC by checkpoint day"
    checkpoints = metrics.get("checkpoints") or {}
    if not checkpoints:
        return empty_figure(title, "Not stored with this version.")
    days = sorted(checkpoints, key=int)
    fig = Figure()
    names = sorted({name for day in days for name in checkpoints[day]["candidates"]})
    for index, name in enumerate(names):
        fig.add_scatter(
            x=[int(day) for day in days],
            y=[checkpoints[day]["candidates"].get(name, {}).get("roc_auc") for day in days],
            mode="lines+markers",
            line={"dash": "dot", "width": 1, "color": colour(name, index + 1)},
            name=name.replace("_", " "),
        )
    fig.add_scatter(
        x=[int(day) for day in days],
        y=[(metrics.get("auc_by_checkpoint") or {}).get(day) for day in days],
        mode="lines+markers",
        line={"width": 3, "color": colour("chosen", 0)},
        marker={"size": 10},
        customdata=[checkpoints[day]["algorithm"] for day in days],
        hovertemplate="day %{x}: %{y:.3f} (%{customdata})<extra></extra>",
        name="chosen model",
    )
    if floor is not None:
        fig.add_hline(
            floor, line_dash="dash", line_color="#c62828", annotation_text=f"gate floor {floor:.2f}"
        )
    fig.update_xaxes(tickvals=[int(day) for day in days])
    fig.update_yaxes(range=[0.4, 1.0])
    return _layout(fig, title, "Checkpoint (day of a 30-day course)", "ROC AUC on unseen courses")


def calibration_by_checkpoint_figure(metrics: dict[str, Any]) -> Figure:
    """The chosen model's out-of-fold calibration curve at every checkpoint."""
    title = "Calibration of the chosen models (out-of-fold)"
    checkpoints = metrics.get("checkpoints") or {}
    if not any(r.get("calibration_curve") for r in checkpoints.values()):
        return empty_figure(title, "Not stored with this version.")
    fig = Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#888"}, name="perfect")
    for index, day in enumerate(sorted(checkpoints, key=int)):
        curve = checkpoints[day].get("calibration_curve") or []
        fig.add_scatter(
            x=[p["mean_predicted"] for p in curve],
            y=[p["observed_rate"] for p in curve],
            mode="lines+markers",
            customdata=[p["count"] for p in curve],
            hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{customdata:,} rows<extra></extra>",
            line={"color": colour(f"day {day}", index)},
            name=f"day {day} ({checkpoints[day]['algorithm'].replace('_', ' ')})",
        )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, title, "Mean predicted probability", "Observed dropout rate")
