"""The upload form's fields for files of local times (a Moodle logs download): the day/month order of
its dates and its time zone, filled with the site's settings, shown only for the formats that read them
(and while the format is still to be detected from the file)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from flask import current_app

from services.ingest.formats import READ_OPTIONS

DATE_ORDER_LABELS = {"dmy": "Day first (7/12/23 is 7 December)", "mdy": "Month first (12/7/23 is December 7)"}


# The formats whose reader takes local times (the others store times with their offset or in UTC).
LOCAL_TIME_FORMATS = ("auto", *(fmt for fmt, options in READ_OPTIONS.items() if "time_zone" in options))


def local_time_style(fmt: str | None) -> dict[str, str]:
    """The style of the fields' column for the chosen format: hidden where the format has no local times."""
    return {} if fmt in LOCAL_TIME_FORMATS else {"display": "none"}


def local_time_fields(prefix: str) -> dbc.Col:
    """A form column `<prefix>-local-times` holding `<prefix>-date-order` and `<prefix>-time-zone`."""
    config = current_app.config
    order = dbc.Select(id=f"{prefix}-date-order", value=config["MOODLE_DATE_ORDER"],
                       options=[{"label": label, "value": key} for key, label in DATE_ORDER_LABELS.items()])
    zone = dbc.Input(id=f"{prefix}-time-zone", value=config["MOODLE_TIME_ZONE"], maxLength=64,
                     placeholder="e.g. Europe/Paris")
    zone_label = "Its time zone (the downloader's, on their Moodle profile)"
    fields = [
        dbc.Col([dbc.Label("Dates in a Moodle logs download", html_for=order.id), order], md=6),
        dbc.Col([dbc.Label(zone_label, html_for=zone.id), zone], md=6),
    ]
    return dbc.Col(dbc.Row(fields, className="g-2"), xs=12, id=f"{prefix}-local-times")
