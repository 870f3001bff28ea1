"""A page's toast for errors and confirmations, and the callbacks' error handler that uses it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash_bootstrap_components as dbc
from dash import set_props
from flask import current_app


def toast_area(prefix: str) -> dbc.Toast:
    """The page's toast for errors and confirmations (top right, closes itself)."""
    return dbc.Toast(
        id=f"{prefix}-toast",
        header="",
        is_open=False,
        dismissable=True,
        duration=8000,
        className="page-toast",
    )


def notify(prefix: str, header: str, message: Any, icon: str = "danger") -> None:
    """Show the page's toast from inside a callback."""
    set_props(f"{prefix}-toast", {"header": header, "children": message, "icon": icon, "is_open": True})


def error_handler(prefix: str) -> Callable[[Exception], None]:
    """A callback's `on_error`: log the exception and tell the user in a toast, never a traceback."""

    def handle(error: Exception) -> None:
        current_app.logger.exception("Dashboard callback failed", exc_info=error)
        notify(prefix, "Something went wrong", "That did not work. Please try again in a moment.")

    return handle
