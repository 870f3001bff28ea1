"""The At-risk page's figure: a student's dropout probability over time."""

from __future__ import annotations

from typing import Any

from dashboard.components.admin_figures import Figure, colour, empty_figure, layout, trace


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
    return layout(fig, title, "Saved at (UTC)", "Dropout probability (0–1)")
