"""Command-line tasks: `flask --app wsgi <command>`, one module per group of commands, each attached
through its own `init_app`."""

from __future__ import annotations

from flask import Flask

import server.cli.accounts as accounts
import server.cli.activity as activity
import server.cli.courses as courses
import server.cli.db as db
import server.cli.demo as demo
import server.cli.privacy as privacy
import server.cli.retention as retention
import server.cli.scoring as scoring
import server.cli.sso as sso
import server.cli.training as training

GROUPS = (db, accounts, sso, demo, training, scoring, activity, courses, privacy, retention)


def init_app(app: Flask) -> None:
    """Attach every group's commands to `flask --app wsgi`."""
    for group in GROUPS:
        group.init_app(app)
