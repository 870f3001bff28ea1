"""The demo (development only): `seed-demo` sets it up and prints the logins, `remove-demo` removes it."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from db import migrations
from services import demo_setup


@click.command("seed-demo")
@click.option("--courses-only", is_flag=True, help="Only the demo courses (before any model is trained).")
@with_appcontext
def seed_demo(courses_only: bool) -> None:
    """Create a demo admin, a demo student, the demo courses and the demo cohort (development only),
    score the running demo courses; print the logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo is for development only; use create-user.")
    migrations.upgrade()
    demo_setup.set_up(courses_only, click.echo)
    if not courses_only:
        click.echo("  Remove the demo cohort and courses with: flask --app wsgi remove-demo")


@click.command("remove-demo")
@with_appcontext
def remove_demo() -> None:
    """Delete the demo cohort (the demo-cohort account and its saved predictions) and the demo courses
    (codes DEMO-...), nothing else."""
    removed, courses = demo_setup.remove()
    click.echo(f"Removed the demo cohort: {removed} saved predictions; {courses} demo courses.")


COMMANDS = (seed_demo, remove_demo)


def init_app(app: Flask) -> None:
    """Attach these commands to `flask --app wsgi`."""
    for command in COMMANDS:
        app.cli.add_command(command)
