"""The upload form's fields for files of local times (a Moodle logs download): the day/month order of
its dates and its time zone, filled with the site's settings."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from flask import current_app

DATE_ORDER_LABELS = {"dmy": "Day first (7/12/23 is 7 December)", "mdy": "Month first (12/7/23 is December 7)"}


def local_time_fields(prefix: str) -> list[dbc.Col]:
    """Two form columns, `<prefix>-date-order` and `<prefix>-time-zone`."""
    config = current_app.config
    order = dbc.Select(id=f"{prefix}-date-order", value=config["MOODLE_DATE_ORDER"],
                       options=[{"label": label, "value": key} for key, label in DATE_ORDER_LABELS.items()])
    zone = dbc.Input(id=f"{prefix}-time-zone", value=config["MOODLE_TIME_ZONE"], maxLength=64,
                     placeholder="e.g. Europe/Paris")
    zone_label = "Its time zone (the downloader's, on their Moodle profile)"
    return [
        dbc.Col([dbc.Label("Dates in a Moodle logs download", html_for=order.id), order], md=6),
        dbc.Col([dbc.Label(zone_label, html_for=zone.id), zone], md=6),
    ]
