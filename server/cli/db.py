"""The database schema: `init-db` and `db-upgrade`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from db import migrations


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the database schema (same as db-upgrade on an empty database)."""
    applied = migrations.upgrade()
    click.echo(
        f"Database ready at schema version {migrations.current_version()}"
        f" ({len(applied)} migration(s) applied)."
    )


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply pending schema migrations, keeping all data."""
    before = migrations.current_version()
    applied = migrations.upgrade()
    if applied:
        click.echo(f"Upgraded schema {before} -> {migrations.current_version()}: {applied}")
    else:
        click.echo(f"Schema already at version {before}; nothing to do.")


COMMANDS = (init_db, db_upgrade,)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
