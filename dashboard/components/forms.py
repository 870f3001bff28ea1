"""Labelled form fields with inline error feedback."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from db.tutoring import CONTACT_CHANNELS, HAND_KINDS
from services.tutoring.actions import ACTION_LABELS


def action_kind_options() -> list[dict[str, str]]:
    """The kinds of action on a flagged learner, for a dropdown."""
    return [{"label": ACTION_LABELS[kind], "value": kind} for kind in HAND_KINDS]


def channel_options() -> list[dict[str, str]]:
    """The channels of a contact, for a dropdown."""
    return [{"label": channel.title(), "value": channel} for channel in CONTACT_CHANNELS]


def text_field(
    field_id: str,
    label: str,
    *,
    input_type: str = "text",
    value: Any = None,
    help_text: str | None = None,
    autocomplete: str | None = None,
    disabled: bool = False,
) -> html.Div:
    """A label bound to its input, the invalid-feedback slot and optional help text."""
    return html.Div(
        [
            dbc.Label(label, html_for=field_id),
            dbc.Input(
                id=field_id,
                type=input_type,
                value=value,
                autoComplete=autocomplete,
                disabled=disabled,
                debounce=False,
            ),
            dbc.FormFeedback(id=f"{field_id}-feedback", type="invalid"),
            dbc.FormText(help_text, id=f"{field_id}-help") if help_text else None,
        ],
        className="mb-3",
    )


def field_states(prefix: str, names: list[str], problems: dict[str, str]) -> list[Any]:
    """For each field: [invalid flag, feedback text], flattened in order of `names`."""
    states: list[Any] = []
    for name in names:
        reason = problems.get(name)
        states.extend([reason is not None, reason or ""])
    return states


def field_outputs(prefix: str, names: list[str]) -> list[tuple[str, str]]:
    """The (component id, property) pairs that `field_states` fills."""
    pairs: list[tuple[str, str]] = []
    for name in names:
        field_id = f"{prefix}-{name.replace('_', '-')}"
        pairs.extend([(field_id, "invalid"), (f"{field_id}-feedback", "children")])
    return pairs


def alert(message: str, color: str = "danger") -> dbc.Alert:
    """A dismissable message above a form."""
    return dbc.Alert(message, color=color, dismissable=True, className="mb-3")


def csv_upload(upload_id: str, prompt: str, padding: str = "p-4") -> dcc.Upload:
    """A drop zone for one CSV file (its contents reach the callback base64-encoded)."""
    return dcc.Upload(
        id=upload_id,
        children=html.Div([f"{prompt} ", html.A("choose a file", href="#")]),
        accept=".csv,text/csv",
        max_size=-1,
        className=f"border border-2 rounded {padding} text-center bg-light",
    )
