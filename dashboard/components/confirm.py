"""A dialog that asks before a change takes effect: its text, Cancel, a confirming button, and a store
for what is pending meanwhile."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ctx, dcc, html


def confirm_dialog(prefix: str, title: str, yes_label: str) -> html.Div:
    """A closed modal `{prefix}-confirm` with a body `{prefix}-confirm-text`, buttons
    `{prefix}-confirm-no` and `{prefix}-confirm-yes`, and the store `{prefix}-pending` beside it."""
    modal = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title, id=f"{prefix}-confirm-title")),
            dbc.ModalBody(id=f"{prefix}-confirm-text"),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=f"{prefix}-confirm-no", color="secondary", outline=True),
                    dbc.Button(yes_label, id=f"{prefix}-confirm-yes", color="danger"),
                ]
            ),
        ],
        id=f"{prefix}-confirm",
        is_open=False,
        labelledby=f"{prefix}-confirm-title",  # the dialog's accessible name: its title
    )
    return html.Div([modal, dcc.Store(id=f"{prefix}-pending")])


def confirmed(prefix: str) -> bool:
    """Whether the callback runs because the dialog `prefix`'s confirming button was pressed."""
    return ctx.triggered_id == f"{prefix}-confirm-yes"
