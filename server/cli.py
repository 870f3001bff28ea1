"""Command-line tasks: `flask --app wsgi <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from db import migrations
from db.models import User
from services import accounts
from services.errors import ServiceError

DEMO_USERS = [
    ("demo-admin", "admin@demo.local", "demo-admin-pass", "Demo Administrator", "admin"),
    ("demo-student", "student@demo.local", "demo-student-pass", "Demo Student", "student"),
]


def _fail(exc: ServiceError) -> None:
    details = "; ".join(f"{name}: {reason}" for name, reason in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


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


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice(["student", "admin"]), default="student", show_default=True)
@click.option("--full-name", default="")
def create_user(username: str, email: str, password: str, role: str, full_name: str) -> None:
    """Create an account non-interactively."""
    migrations.upgrade()
    try:
        user = accounts.register(username, email, password, full_name, role=role)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create a demo admin and a demo student (development only) and print their credentials."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo is for development only; use create-user.")
    migrations.upgrade()
    for username, email, password, full_name, role in DEMO_USERS:
        if User.by_login(username) is None:
            accounts.register(username, email, password, full_name, role=role)
            state = "created"
        else:
            state = "exists"
        click.echo(f"  {role:<8} username: {username:<13} password: {password}   ({state})")


def init_app(app: Flask) -> None:
    """Attach the commands to `flask --app wsgi`."""
    for command in (init_db, db_upgrade, create_user, seed_demo):
        app.cli.add_command(command)
