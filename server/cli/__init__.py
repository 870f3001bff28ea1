"""Command-line tasks: `flask --app wsgi <command>`, one module per group of commands, each attached
through its own `init_app`."""

from __future__ import annotations

from flask import Flask

from server.cli import accounts, activity, courses, db, demo, privacy, retention, scoring, sso, training

GROUPS = (db, accounts, sso, demo, training, scoring, activity, courses, privacy, retention)


def init_app(app: Flask) -> None:
    """Attach every group's commands to `flask --app wsgi`."""
    for group in GROUPS:
        group.init_app(app)
