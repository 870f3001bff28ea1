"""A dialog that asks before a change takes effect: its text, Cancel and a confirming button."""

from __future__ import annotations

import dash_bootstrap_components as dbc


def confirm_dialog(prefix: str, title: str, yes_label: str) -> dbc.Modal:
    """A closed modal `{prefix}-confirm` with a body `{prefix}-confirm-text` and buttons
    `{prefix}-confirm-no` and `{prefix}-confirm-yes`."""
    return dbc.Modal(
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
