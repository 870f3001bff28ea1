"""Shared behaviour of the server-paged AG Grids (records, a course's at-risk list)."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, clientside_callback


def sort_of(request: dict[str, Any] | None) -> tuple[tuple[str, bool], ...]:
    """The grid's sort request as (column, descending) pairs, in order of priority."""
    return tuple((s["colId"], s["sort"] == "desc") for s in (request or {}).get("sortModel") or [])


def refetch_rows_on_change(grid_id: str, prefix: str) -> None:
    """When the page's `{prefix}-filters` or `{prefix}-version` store changes, empty the grid's row
    cache so it asks the server for rows again; `{prefix}-refreshed` records when."""
    clientside_callback(
        f"""
        function(_filters, _version) {{
            window.dash_ag_grid.getApiAsync("{grid_id}").then((api) => api.purgeInfiniteCache());
            return Date.now();
        }}
        """,
        Output(f"{prefix}-refreshed", "data"),
        Input(f"{prefix}-filters", "data"),
        Input(f"{prefix}-version", "data"),
        prevent_initial_call=True,
    )
